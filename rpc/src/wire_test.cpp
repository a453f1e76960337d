#include "nova/rpc/wire.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nova/common/error.hpp"

namespace nova::rpc {
namespace {

const std::string kVectors = std::string(NOVA_SOURCE_DIR) + "/../../shared/vectors";

std::string VectorDir(const std::string& name) {
    // The shared vectors live next to the checkouts (/work/shared); fall back to /work/shared.
    for (std::string dir : {kVectors + "/" + name, std::string("/work/shared/vectors/") + name}) {
        if (std::filesystem::exists(dir)) return dir;
    }
    FAIL("vector directory " << name << " not found");
    return {};
}

std::vector<Json> TraceLines() {
    std::ifstream in(VectorDir("oslo-messaging") + "/trace.jsonl");
    REQUIRE(in.good());
    std::vector<Json> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) lines.push_back(Json::parse(line));
    }
    return lines;
}

Json ReadJson(const std::string& path) {
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), path);
    return Json::parse(in);
}

Json FindStep(const std::vector<Json>& lines, const std::string& step, bool reply) {
    for (const auto& line : lines) {
        if (line["step"] == step && (line["exchange"] == "") == reply) return line;
    }
    FAIL("no step " << step);
    return {};
}

template <class E>
void CheckRaises(std::exception_ptr error) {
    REQUIRE(error);
    CHECK_THROWS_AS(std::rethrow_exception(error), E);
}

TEST_CASE("every captured oslo.messaging body decodes and requests parse") {
    auto lines = TraceLines();
    REQUIRE(lines.size() >= 20);
    int requests = 0;
    for (const auto& line : lines) {
        Json message = DecodeEnvelope(line["body"].get<std::string>());
        REQUIRE(message.is_object());
        if (message.contains("method")) {
            Request request = ParseRequest(message);
            ++requests;
            CHECK(request.unique_id.has_value());
            CHECK(request.context.request_id == "req-00000000-0000-0000-0000-000000000001");
            CHECK(request.context.global_request_id == "req-00000000-0000-0000-0000-000000000002");
            CHECK(request.context.user_id == "0f4b1c8e2d9a4e6b8c7d5e3f1a2b3c4d");
            const bool is_call = line["properties"].contains("expiration");
            CHECK(request.msg_id.has_value() == is_call);
            CHECK(request.reply_q.has_value() == is_call);
        }
    }
    CHECK(requests >= 10);
}

TEST_CASE("a captured call request: method, args, version, call-monitor timeout") {
    auto lines = TraceLines();
    Request request = ParseRequest(DecodeEnvelope(
        FindStep(lines, "call_with_call_monitor", false)["body"].get<std::string>()));
    CHECK(request.method == "slow_op");
    CHECK(request.args == Json{{"seconds", 2.5}});
    CHECK(request.version == "6.0");
    CHECK(request.msg_id == "a894cb124c334661aa2e892caddcd36f");
    CHECK(request.reply_q == "reply_a26bebc6b3d4435da37bf5c193ffa797");
    REQUIRE(request.call_monitor_timeout.has_value());
    CHECK(*request.call_monitor_timeout == doctest::Approx(2.0));
    CHECK_FALSE(request.namespace_.has_value());

    Request ping = ParseRequest(DecodeEnvelope(
        FindStep(lines, "call_baseapi_namespace", false)["body"].get<std::string>()));
    CHECK(ping.method == "ping");
    CHECK(ping.namespace_ == "baseapi");
}

TEST_CASE("captured failure replies map to our errors or RemoteError") {
    auto lines = TraceLines();
    auto failure_of = [&](const std::string& step) {
        Json reply = DecodeEnvelope(FindStep(lines, step, true)["body"].get<std::string>());
        CHECK(reply["ending"] == true);
        CHECK(reply["result"].is_null());
        REQUIRE(reply["failure"].is_string());
        return ParseFailure(reply["failure"].get<std::string>());
    };
    Failure no_method = failure_of("call_no_such_method");
    CHECK(no_method.class_name == "NoSuchMethod");
    CHECK(no_method.module == "oslo_messaging.rpc.dispatcher");
    CheckRaises<NoSuchMethod>(FailureToException(no_method));

    Failure too_new = failure_of("call_minor_too_new");
    CHECK(too_new.class_name == "UnsupportedVersion");
    CheckRaises<UnsupportedVersion>(FailureToException(too_new));
    CheckRaises<UnsupportedVersion>(FailureToException(failure_of("call_major_mismatch")));

    // A module we do not have: RemoteError carrying class, module and message.
    Failure foreign = failure_of("call_failure_known_module");
    try {
        std::rethrow_exception(FailureToException(foreign));
        FAIL("no exception");
    } catch (const RemoteError& e) {
        CHECK(e.kwargs()["exc_type"] == "InstanceNotFound");
        CHECK(e.kwargs()["module"] == "fake_nova_exception");
        CHECK(e.kwargs()["value"] == foreign.message);
    }
    Failure builtin = failure_of("call_failure_builtin");
    CHECK(builtin.module == "builtins");
    CheckRaises<RemoteError>(FailureToException(builtin));

    // A successful reply in the single-message form.
    Json ok = DecodeEnvelope(FindStep(lines, "call_server", true)["body"].get<std::string>());
    CHECK(ok["ending"] == true);
    CHECK(ok["failure"].is_null());
    CHECK(ok["result"].is_object());
}

TEST_CASE("Nova Zed failures rebuild as the same NovaError class with kwargs") {
    const std::string dir = VectorDir("nova-zed-rpc");
    Json no_valid = ReadJson(dir + "/scheduler.select_destinations.failure-NoValidHost.json");
    Json reply = DecodeEnvelope(no_valid["reply"]["body"].get<std::string>());
    Failure failure = ParseFailure(reply["failure"].get<std::string>());
    try {
        std::rethrow_exception(FailureToException(failure));
        FAIL("no exception");
    } catch (const NoValidHost& e) {
        CHECK(e.message() == "No valid host was found. ");
        CHECK(e.kwargs()["code"] == 500);
    }
    Json not_found = ReadJson(
        dir + "/conductor.object_class_action_versions.ComputeNode.get_by_host_and_nodename."
              "failure-ComputeHostNotFound.json");
    reply = DecodeEnvelope(not_found["reply"]["body"].get<std::string>());
    CheckRaises<ComputeHostNotFound>(
        FailureToException(ParseFailure(reply["failure"].get<std::string>())));
    Json uptime = ReadJson(dir + "/compute.get_host_uptime.failure-NotImplementedError.json");
    reply = DecodeEnvelope(uptime["reply"]["body"].get<std::string>());
    // builtins.NotImplementedError is in our list (the API answers 501 for it).
    CheckRaises<NotImplementedError>(
        FailureToException(ParseFailure(reply["failure"].get<std::string>())));
}

TEST_CASE("every Nova Zed request in the capture parses with its context") {
    std::ifstream in(VectorDir("nova-zed-rpc") + "/all-messages-A.jsonl");
    REQUIRE(in.good());
    std::string line;
    int requests = 0;
    int replies = 0;
    while (std::getline(in, line)) {
        Json record = Json::parse(line);
        Json message = DecodeEnvelope(record["body"].get<std::string>());
        if (message.contains("method")) {
            Request request = ParseRequest(message);
            CHECK(IsValidVersion(request.version));
            CHECK(request.context.request_id.rfind("req-", 0) == 0);
            ++requests;
        } else if (message.contains("_msg_id")) {
            ++replies;
        }
    }
    CHECK(requests > 50);
    CHECK(replies > 10);
}

TEST_CASE("envelope round trip, the 1.0 form, and bad bodies") {
    Json message = {{"method", "ping"}, {"args", {{"arg", "ü"}}}};
    std::string body = EncodeEnvelope(message);
    Json outer = Json::parse(body);
    CHECK(outer["oslo.version"] == "2.0");
    CHECK(outer["oslo.message"].is_string());
    CHECK(DecodeEnvelope(body) == message);
    Json tricky = {{"s", std::string("quote\" back\\ nl\n tab\t ctl\x01 \xc3\xa9 /")}};
    Json tricky_outer = Json::parse(EncodeEnvelope(tricky));
    CHECK(tricky_outer["oslo.message"] == tricky.dump());
    CHECK(DecodeEnvelope(EncodeEnvelope(tricky)) == tricky);
    CHECK(DecodeEnvelope(message.dump()) == message);  // no envelope: the message itself
    CHECK_THROWS_AS(DecodeEnvelope("not json"), std::invalid_argument);
    CHECK_THROWS_AS(DecodeEnvelope("[1, 2]"), std::invalid_argument);
    CHECK_THROWS_AS(DecodeEnvelope(R"({"oslo.version": "3.0", "oslo.message": "{}"})"),
                    std::invalid_argument);
    CHECK_THROWS_AS(DecodeEnvelope(R"({"oslo.version": "2.0", "oslo.message": "{bad"})"),
                    std::invalid_argument);
    CHECK_NOTHROW(DecodeEnvelope(R"({"oslo.version": "2.0", "oslo.message": "{}"})"));
    CHECK_THROWS_AS(DecodeEnvelope(std::string(kMaxMessageBytes + 1, ' ')), std::invalid_argument);

    CHECK_THROWS_AS(ParseRequest(Json{{"args", Json::object()}}), std::invalid_argument);
    CHECK_THROWS_AS(ParseRequest(Json{{"method", 7}}), std::invalid_argument);
    CHECK_THROWS_AS(ParseRequest(Json{{"method", "m"}, {"args", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(ParseRequest(Json{{"method", "m"}, {"version", 6}}), std::invalid_argument);
    CHECK_THROWS_AS(ParseRequest(Json{{"method", "m"}, {"_msg_id", "abc"}}), std::invalid_argument);
    Request defaults = ParseRequest(Json{{"method", "m"}});
    CHECK(defaults.version == "1.0");
    CHECK(defaults.args == Json::object());
}

TEST_CASE("version_is_compatible, oslo's rule") {
    CHECK(VersionIsCompatible("6.2", "6.2"));
    CHECK(VersionIsCompatible("6.2", "6.0"));
    CHECK(VersionIsCompatible("6.2", "6.1"));
    CHECK_FALSE(VersionIsCompatible("6.2", "6.3"));
    CHECK_FALSE(VersionIsCompatible("6.2", "5.0"));
    CHECK_FALSE(VersionIsCompatible("6.2", "7.0"));
    CHECK(VersionIsCompatible("6.2", "6.2.0"));
    CHECK_FALSE(VersionIsCompatible("6.2", "6.2.1"));
    CHECK(VersionIsCompatible("6.2.1", "6.2.1"));
    CHECK(VersionIsCompatible("6.2.1", "6.1.5"));
    CHECK(VersionIsCompatible("1.10", "1.9"));  // numeric, not textual
    CHECK_FALSE(VersionIsCompatible("1.9", "1.10"));
    CHECK_FALSE(VersionIsCompatible("6.2", "six"));
    CHECK_FALSE(VersionIsCompatible("6.2", "6"));
    CHECK_FALSE(IsValidVersion("6.2.1.0"));
    CHECK(IsValidVersion("1.0"));
}

TEST_CASE("failure serialization keeps class, module, message and kwargs") {
    Failure failure;
    try {
        throw InstanceNotFound({{"instance_id", "abc"}});
    } catch (...) {
        failure = CurrentFailure();
    }
    CHECK(failure.class_name == "InstanceNotFound");
    CHECK(failure.module == "nova.exception");
    CHECK(failure.message == "Instance abc could not be found.");
    CHECK(failure.kwargs["instance_id"] == "abc");
    CHECK(failure.kwargs["code"] == 404);
    Json wire = Json::parse(SerializeFailure(failure));
    for (const char* key : {"class", "module", "message", "tb", "args", "kwargs"}) {
        CHECK(wire.contains(key));
    }
    CHECK(wire["args"] == Json::array({"Instance abc could not be found."}));
    try {
        std::rethrow_exception(FailureToException(ParseFailure(SerializeFailure(failure))));
    } catch (const InstanceNotFound& e) {
        CHECK(e.message() == "Instance abc could not be found.");
        CHECK(e.kwargs()["instance_id"] == "abc");
    }

    try {
        throw std::runtime_error("boom");
    } catch (...) {
        failure = CurrentFailure();
    }
    CHECK(failure.class_name == "RuntimeError");
    CHECK(failure.module == "builtins");

    Failure relayed{"InstanceNotFound_Remote", "nova.exception_Remote", "m", Json::array(),
                    Json::array(), Json::object()};
    Json stripped = Json::parse(SerializeFailure(relayed));
    CHECK(stripped["class"] == "InstanceNotFound");
    CHECK(stripped["module"] == "nova.exception");

    // Same class name, other module: not ours.
    Failure impostor{"InstanceNotFound", "some.other", "m", Json::array(), Json::array(),
                     Json::object()};
    CheckRaises<RemoteError>(FailureToException(impostor));
}

TEST_CASE("reply message shape") {
    Json reply = MakeReply("abc", Json{{"x", 1}}, std::nullopt);
    CHECK(reply["_msg_id"] == "abc");
    CHECK(reply["ending"] == true);
    CHECK(reply["failure"].is_null());
    CHECK(reply["_unique_id"].get<std::string>().size() == 32);
    Json heartbeat = MakeReply("abc", nullptr, std::nullopt, false);
    CHECK(heartbeat["ending"] == false);
    CHECK(heartbeat["result"].is_null());
}

TEST_CASE("duplicate filter remembers the last N ids") {
    DuplicateFilter filter(16);
    CHECK(filter.CheckAndRecord("a"));
    CHECK_FALSE(filter.CheckAndRecord("a"));
    for (int i = 0; i < 16; ++i) CHECK(filter.CheckAndRecord("id" + std::to_string(i)));
    CHECK(filter.CheckAndRecord("a"));  // pushed out of the ring
    CHECK_FALSE(filter.CheckAndRecord("id15"));
}

TEST_CASE("context travels as flat _context_ keys") {
    RequestContext context;
    context.user_id = "u";
    context.project_id = "p";
    context.global_request_id = "req-00000000-0000-0000-0000-000000000002";
    Json message = {{"method", "m"}};
    FlattenContext(context, message);
    CHECK(message["_context_user_id"] == "u");
    CHECK(message["_context_request_id"] == context.request_id);
    CHECK(message["_context_global_request_id"] == *context.global_request_id);
    RequestContext back = ExtractContext(message);
    CHECK(back.user_id == "u");
    CHECK(back.request_id == context.request_id);
    CHECK(back.global_request_id == context.global_request_id);
    CHECK(message == Json{{"method", "m"}});
}

}  // namespace
}  // namespace nova::rpc

namespace nova::rpc {
namespace {

// The message Client used to build as a Json tree: the reference for EncodeRequest.
Json ReferenceRequest(const RequestContext& context, const std::string& method, const Json& args,
                      const std::optional<std::string>& ns, const std::optional<std::string>& version,
                      const CallFields* call, const std::string& unique_id) {
    Json message = Json::object();
    message["method"] = method;
    message["args"] = args.is_null() ? Json::object() : args;
    if (ns) message["namespace"] = *ns;
    if (version) message["version"] = *version;
    FlattenContext(context, message);
    if (call) {
        message["_msg_id"] = std::string(call->msg_id);
        message["_reply_q"] = std::string(call->reply_q);
        message["_timeout"] = call->timeout ? Json(*call->timeout) : Json(nullptr);
    }
    message["_unique_id"] = unique_id;
    return message;
}

TEST_CASE("EncodeRequest writes the same message as the context's ToDict, flattened") {
    RequestContext plain;
    RequestContext full;
    full.user_id = "u\"ser\\1";
    full.project_id = "proj\n\t\x01";
    full.user_name = "d\xc3\xa9mo";          // UTF-8
    full.project_name = "bad \xff utf8";     // repaired as Dump does
    full.domain_id = "dom";
    full.user_domain_id = "udom";
    full.project_domain_id = "pdom";
    full.roles = {"reader", "mem\"ber"};
    full.is_admin = true;
    full.is_admin_project = false;
    full.read_only = true;
    full.show_deleted = true;
    full.global_request_id = "req-global";
    full.read_deleted = "yes";
    full.auth_token = "tok";
    full.remote_address = "192.0.2.10";
    full.quota_class = "qc";
    full.system_scope = "all";
    full.resource_uuid = "res";
    full.service_catalog = Json::array({Json{{"type", "compute"}, {"endpoints", Json::array()}}});
    const Json args = Json{{"instance_uuid", "4d2f"}, {"n", 42}, {"s", "a\"b\\c/\u00e9"},
                           {"nested", Json{{"x", Json::array({1, 2.5, nullptr, true})}}}};
    CallFields call{"msgid", "reply_abc", std::nullopt};
    CallFields monitored{"msgid2", "reply_abc", 30L};
    for (const RequestContext* ctx : {&plain, &full}) {
        for (const CallFields* c : std::vector<const CallFields*>{nullptr, &call, &monitored}) {
            for (const auto& ns : {std::optional<std::string>(), std::optional<std::string>("baseapi")}) {
                std::string body = EncodeRequest(*ctx, "count", args, ns, std::string("6.0"), c, "uniq");
                // What the old path put on the wire (invalid UTF-8 repaired by the encoder).
                Json expected = DecodeEnvelope(EncodeEnvelope(
                    ReferenceRequest(*ctx, "count", args, ns, std::string("6.0"), c, "uniq")));
                CHECK(DecodeEnvelope(body) == expected);
                // The general parser reads it the same way as the fast path.
                Json outer = Json::parse(body);
                CHECK(Json::parse(outer.at("oslo.message").get<std::string>()) == expected);
                CHECK(outer.at("oslo.version") == "2.0");
            }
        }
    }
    // Null args become {} as before; no version or namespace leaves the keys out.
    Json m = DecodeEnvelope(EncodeRequest(plain, "ping", nullptr, std::nullopt, std::nullopt, nullptr, "u"));
    CHECK(m.at("args") == Json::object());
    CHECK(!m.contains("version"));
    CHECK(!m.contains("namespace"));
}

TEST_CASE("EncodeReply writes the same message as MakeReply") {
    Failure failure;
    failure.class_name = "InstanceNotFound";
    failure.module = "nova.exception";
    failure.message = "Instance \"x\" could not be found.\n";
    failure.kwargs = Json{{"instance_id", "x"}};
    for (const auto& f : {std::optional<Failure>(), std::optional<Failure>(failure)}) {
        for (const Json& result : {Json(nullptr), Json{{"host", "h\u00e9"}, {"n", 1}}, Json("s\"q")}) {
            for (bool ending : {true, false}) {
                Json expected = MakeReply("mid", result, f, ending);
                expected["_unique_id"] = "uid";
                std::string body = EncodeReply("mid", result, f, ending, "uid");
                CHECK(DecodeEnvelope(body) == expected);
                CHECK(Json::parse(Json::parse(body).at("oslo.message").get<std::string>()) == expected);
            }
        }
    }
}

TEST_CASE("DecodeEnvelope: the fast path and the general parser agree") {
    const Json message = Json{{"method", "m"}, {"s", "quote\" back\\ slash/ nl\n u\u00e9 ctl\x01"}};
    // Our layout, and Python's ensure_ascii layout (\u escapes in the outer string).
    std::string ours = EncodeEnvelope(message);
    CHECK(ours.rfind("{\"oslo.version\": \"2.0\", \"oslo.message\": \"", 0) == 0);
    CHECK(DecodeEnvelope(ours) == message);
    std::string copy = ours;
    CHECK(DecodeEnvelopeInPlace(copy) == message);
    std::string python = Json{{"oslo.version", "2.0"}, {"oslo.message", message.dump(-1, ' ', true)}}.dump(-1, ' ', true);
    CHECK(DecodeEnvelope(python) == message);
    copy = python;
    CHECK(DecodeEnvelopeInPlace(copy) == message);
    // \u escapes in the outer string (ensure_ascii of the outer text) take the general path.
    const std::string u = "{\"oslo.version\": \"2.0\", \"oslo.message\": \"{\\u0022method\\u0022: 1}\"}";
    CHECK(DecodeEnvelope(u) == Json{{"method", 1}});
    copy = u;
    CHECK(DecodeEnvelopeInPlace(copy) == Json{{"method", 1}});
    // Not an envelope string after all: a premature quote goes to the general parser, which refuses it.
    CHECK_THROWS_AS(DecodeEnvelope("{\"oslo.version\": \"2.0\", \"oslo.message\": \"{\"x\": 1}\"}"),
                    std::invalid_argument);
    CHECK_THROWS_AS(DecodeEnvelope("{\"oslo.version\": \"2.0\", \"oslo.message\": \"{\\\"x\\\": \"}"),
                    std::invalid_argument);
    copy = "{\"oslo.version\": \"2.0\", \"oslo.message\": \"{\"x\": 1}\"}";
    CHECK_THROWS_AS(DecodeEnvelopeInPlace(copy), std::invalid_argument);
}

}  // namespace
}  // namespace nova::rpc

namespace nova::rpc {
namespace {

TEST_CASE("ExtractContext takes exactly the _context_ keys, whatever sorts around them") {
    Json message = Json{{"_context", 1},           {"_context_", 2},
                        {"_context_user_id", "u"}, {"_context_roles", Json::array({"admin"})},
                        {"_contextz", 3},          {"_cont", 4},
                        {"_msg_id", "m"},          {"args", Json::object()},
                        {"method", "x"},           {"_context_is_admin", true}};
    RequestContext ctx = ExtractContext(message);
    CHECK(ctx.user_id == "u");
    CHECK(ctx.is_admin);
    CHECK(ctx.roles == std::vector<std::string>{"admin"});
    CHECK(message == Json{{"_context", 1}, {"_contextz", 3}, {"_cont", 4},
                          {"_msg_id", "m"}, {"args", Json::object()}, {"method", "x"}});
}

}  // namespace
}  // namespace nova::rpc

namespace nova::rpc {
namespace {

// Both request paths of the server agree: the scanner (ParseRequestText / ParseRequestBody) and
// DecodeEnvelope + ParseRequest.
void CheckSameRequest(const Request& a, const Request& b) {
    CHECK(a.method == b.method);
    CHECK(a.args == b.args);
    CHECK(a.namespace_ == b.namespace_);
    CHECK(a.version == b.version);
    CHECK(a.msg_id == b.msg_id);
    CHECK(a.reply_q == b.reply_q);
    CHECK(a.call_monitor_timeout == b.call_monitor_timeout);
    CHECK(a.unique_id == b.unique_id);
    CHECK(a.context.ToDict() == b.context.ToDict());
}

std::vector<std::string> CapturedBodies() {
    std::vector<std::string> bodies;
    for (const auto& line : TraceLines()) bodies.push_back(line["body"].get<std::string>());
    for (const char* file : {"/all-messages-A.jsonl", "/all-messages-B.jsonl"}) {
        std::ifstream in(VectorDir("nova-zed-rpc") + file);
        REQUIRE(in.good());
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty()) bodies.push_back(Json::parse(line)["body"].get<std::string>());
        }
    }
    return bodies;
}

TEST_CASE("the request scanner reads every captured request as the Json parser does") {
    int requests = 0;
    for (const auto& body : CapturedBodies()) {
        Json message = DecodeEnvelope(body);
        if (!message.contains("method")) continue;
        CAPTURE(body);
        Request expected = ParseRequest(message);
        // The scanner on the inner text, then the server's path on the enveloped body.
        CheckSameRequest(ParseRequestText(message.dump()), expected);
        std::string copy = body;
        CheckSameRequest(ParseRequestBody(copy), expected);
        ++requests;
    }
    CHECK(requests > 100);
}

TEST_CASE("the request scanner: our own requests, escapes, and what it leaves to the parser") {
    RequestContext ctx;
    ctx.user_id = "u1";
    ctx.project_name = "d\xc3\xa9mo \"quoted\" \\ back\nslash";
    ctx.roles = {"reader", "member"};
    ctx.service_catalog = Json::array({Json{{"type", "compute"}, {"endpoints", Json::array()}}});
    Json args = {{"a", 1}, {"b", Json::array({1.5, "x\u00e9", nullptr})}, {"c", {{"d", true}}}};
    CallFields call{"mid", "reply_q1", 30};
    std::string body = EncodeRequest(ctx, "do_it", args, std::string("ns"), std::string("6.1"),
                                     &call, "uid1");
    Request expected = ParseRequest(DecodeEnvelope(body));
    std::string copy = body;
    Request scanned = ParseRequestBody(copy);
    CheckSameRequest(scanned, expected);
    CHECK(scanned.context.project_name == ctx.project_name);
    CHECK(scanned.call_monitor_timeout == 30.0);

    // \u escapes, surrogate pairs, whitespace anywhere.
    Request u = ParseRequestText(
        " { \"method\" : \"m\\u00e9\\ud83d\\ude00\" , \"args\" : { } , \"_context_user\" : \"x\\/y\" } ");
    CHECK(u.method == "m\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(u.context.user_id == "x/y");
    // Unknown keys of any type are skipped; a non-numeric _timeout is ignored, as oslo does.
    Request extra = ParseRequestText(
        R"({"zzz": [1, {"a": [true, false, null, -1.5e+3]}], "method": "m", "_timeout": "soon"})");
    CHECK(extra.method == "m");
    CHECK_FALSE(extra.call_monitor_timeout.has_value());
    // Numbers in the context are read by the Json parser and ignored by FromDict.
    CHECK(ParseRequestText(R"({"method": "m", "_context_is_admin": 1})").method == "m");

    // What the scanner refuses (ParseRequestBody then asks the Json parser, which agrees).
    for (const char* bad : {
             "", "not json", "[1, 2]", "{", "{\"method\": \"m\"", "{\"method\": \"m\"} x",
             "{\"method\": \"m\",}", "{\"method\": \"m\", \"args\": [1,,2]}",
             "{\"method\": \"\"}", "{\"args\": {}}", "{\"method\": 7}",
             "{\"method\": \"m\", \"args\": \"x\"}", "{\"method\": \"m\", \"version\": 6}",
             "{\"method\": \"m\", \"_msg_id\": \"abc\"}", "{\"method\": \"m\\x\"}",
             "{\"method\": \"m\\ud800\"}", "{\"method\": \"\xff\"}", "{\"method\": \"\xc0\xaf\"}",
             "{\"method\": \"m\", \"a\": 01}", "{\"method\": \"m\", \"a\": tru}",
             "{\"method\": \"m\", \"a\": \"\x01\"}", "{method: \"m\"}"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(ParseRequestText(bad), std::invalid_argument);
        std::string enveloped = EncodeEnvelope(Json(std::string(bad)));  // a string, not an object
        CHECK_THROWS_AS(ParseRequestBody(enveloped), std::invalid_argument);
        std::string raw = bad;
        CHECK_THROWS_AS(ParseRequestBody(raw), std::invalid_argument);
    }
    // Valid JSON the scanner does not take is not lost: the Json parser takes it.
    std::string duplicate = R"({"method": 7, "method": "m"})";
    CHECK_THROWS_AS(ParseRequestText(duplicate), std::invalid_argument);
    CHECK(ParseRequestBody(duplicate).method == "m");
    // Deep nesting is refused by the scanner, not a stack overflow.
    std::string deep = "{\"method\": \"m\", \"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK_THROWS_AS(ParseRequestText(deep), std::invalid_argument);
    std::string huge(kMaxMessageBytes + 1, ' ');
    CHECK_THROWS_AS(ParseRequestBody(huge), std::invalid_argument);
}

TEST_CASE("the reply scanner reads replies as the Json parser does") {
    int replies = 0;
    for (const auto& body : CapturedBodies()) {
        Json message = DecodeEnvelope(body);
        if (message.contains("method") || !message.contains("_msg_id")) continue;
        CAPTURE(body);
        std::string copy = body;
        ReplyFields reply = ParseReplyBody(copy);
        CHECK(reply.msg_id == message["_msg_id"].get<std::string>());
        CHECK(reply.result == message.value("result", Json(nullptr)));
        if (message.contains("failure") && message["failure"].is_string()) {
            CHECK(reply.failure == message["failure"].get<std::string>());
        } else {
            CHECK_FALSE(reply.failure.has_value());
        }
        CHECK(reply.ending == (message.contains("ending") && message["ending"] == true));
        ++replies;
    }
    CHECK(replies > 10);

    Failure failure;
    failure.class_name = "InstanceNotFound";
    failure.module = "nova.exception";
    failure.message = "Instance \"x\" could not be found.";
    std::string body = EncodeReply("m1", Json{{"k", Json::array({1, "two"})}}, failure, true, "u1");
    ReplyFields reply = ParseReplyBody(body);
    CHECK(reply.msg_id == "m1");
    CHECK(reply.result == Json{{"k", Json::array({1, "two"})}});
    REQUIRE(reply.failure.has_value());
    CHECK(ParseFailure(*reply.failure).message == failure.message);
    CHECK(reply.ending);

    std::string odd = R"({"_msg_id": 5, "ending": "yes", "failure": 3, "result": null})";
    ReplyFields o = ParseReplyBody(odd);
    CHECK_FALSE(o.msg_id.has_value());
    CHECK_FALSE(o.ending);
    CHECK_FALSE(o.failure.has_value());
    for (const char* bad : {"garbage", "[1]", "{\"_msg_id\": \"a\""}) {
        std::string b = bad;
        CHECK_THROWS_AS(ParseReplyBody(b), std::invalid_argument);
    }
}

}  // namespace
}  // namespace nova::rpc
