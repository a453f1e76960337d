#pragma once
// oslo.messaging's wire rules, without any transport: the 2.0 envelope, the request and reply
// messages, version compatibility, failure serialization and the duplicate filter.
// See ../shared/design/rpc-wire.md (sections 5-12); the unit tests check these against the
// captured vectors.
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::rpc {

// Bodies larger than this are rejected unread (a broken or hostile publisher).
inline constexpr std::size_t kMaxMessageBytes = 64u * 1024u * 1024u;

// {"oslo.version": "2.0", "oslo.message": "<message as JSON text>"}.
std::string EncodeEnvelope(const Json& message);
// The inner message of a body. A JSON object without both envelope keys is taken as the
// message itself (the old 1.0 form). Throws std::invalid_argument for a body that is not JSON,
// not an object, or has an envelope version other than 2.x.
Json DecodeEnvelope(std::string_view body);
// The same, reusing `body`'s buffer for the unescaped inner text (no copy of the message);
// `body` is left unspecified.
Json DecodeEnvelopeInPlace(std::string& body);

// oslo's version_is_compatible(implemented, requested): same major, and the requested minor
// (then revision) no newer than the implemented one. A malformed version is incompatible.
bool VersionIsCompatible(std::string_view implemented, std::string_view requested);
// "X.Y" or "X.Y.Z" with decimal parts.
bool IsValidVersion(std::string_view version);

// Adds `_context_<key>` for every key of context.ToDict().
void FlattenContext(const RequestContext& context, Json& message);

// What a call adds to a request.
struct CallFields {
    std::string_view msg_id;
    std::string_view reply_q;
    std::optional<long> timeout;  // `_timeout`: the call-monitor timeout in seconds, or null
};
// The body of a request, enveloped: the same message as EncodeEnvelope of {method, args,
// namespace (when set), version (when set), the `_context_*` keys of FlattenContext, the call
// keys, `_unique_id`}, written in one pass with no intermediate Json (the cast hot path).
std::string EncodeRequest(const RequestContext& context, std::string_view method, const Json& args,
                          const std::optional<std::string>& namespace_,
                          const std::optional<std::string>& version, const CallFields* call,
                          std::string_view unique_id);
// Removes every `_context_*` key from `message` and rebuilds the context from them.
RequestContext ExtractContext(Json& message);

// A request as the server sees it once the envelope is off.
struct Request {
    std::string method;
    Json args = Json::object();
    std::optional<std::string> namespace_;
    std::string version = "1.0";  // oslo's default when absent
    std::optional<std::string> msg_id;    // calls only
    std::optional<std::string> reply_q;   // calls only
    std::optional<double> call_monitor_timeout;  // `_timeout`
    std::optional<std::string> unique_id;
    RequestContext context;
};
// Parses an inner request message. Throws std::invalid_argument when `method` is missing or
// a member has the wrong type.
Request ParseRequest(Json message);
// The same from the inner message's JSON text, by a scanner that reads the top-level keys
// directly and builds a Json tree only for `args` and the context's arrays (the server's hot
// path). Throws std::invalid_argument on anything it does not take, including valid JSON it does
// not handle (a number as a context value is fine; see ParseRequestBody for the fallback).
Request ParseRequestText(std::string_view text);
// A consumed body to a Request: the envelope is unescaped in place in `body` (no copy), then the
// scanner reads it; whatever the scanner does not take goes through DecodeEnvelope + ParseRequest,
// which decide (so both paths accept and reject the same messages). `body` is left unspecified.
// Throws std::invalid_argument for a body that is not a valid request.
Request ParseRequestBody(std::string& body);

// The failure of a reply: what oslo's serialize_remote_exception sends.
struct Failure {
    std::string class_name;
    std::string module;
    std::string message;
    Json tb = Json::array();
    Json args = Json::array();
    Json kwargs = Json::object();
};
// From the exception currently being handled (call inside a catch block): NovaError keeps its
// class, module and kwargs; other std::exceptions become builtins.RuntimeError.
Failure CurrentFailure();
// The JSON string that goes into a reply's `failure`; `_Remote` suffixes are stripped.
std::string SerializeFailure(const Failure& failure);
Failure ParseFailure(std::string_view text);
// The exception a caller sees: our own NovaError class when the failure names one we know
// (same class and module), else RemoteError(exc_type, module, value, traceback).
std::exception_ptr FailureToException(const Failure& failure);

// A reply message: {"result", "failure", "ending", "_msg_id", "_unique_id"}.
Json MakeReply(const std::string& msg_id, Json result, const std::optional<Failure>& failure,
               bool ending = true);
// EncodeEnvelope(MakeReply(...)) written in one pass, with `unique_id` as `_unique_id`.
std::string EncodeReply(std::string_view msg_id, const Json& result,
                        const std::optional<Failure>& failure, bool ending,
                        std::string_view unique_id);

// What a caller needs of a reply message.
struct ReplyFields {
    std::optional<std::string> msg_id;   // `_msg_id` when it is a string
    Json result;                         // null when absent
    std::optional<std::string> failure;  // `failure` when it is a string
    bool ending = false;                 // `ending` when it is true
};
// A consumed reply body: the envelope is unescaped in place and the reply scanned without a tree
// (but for `result`); bodies the scanner does not take go through DecodeEnvelope. Throws
// std::invalid_argument when the body is not JSON or not an object.
ReplyFields ParseReplyBody(std::string& body);

// The last N `_unique_id`s a listener has seen (oslo keeps 16). Thread-safe.
class DuplicateFilter {
public:
    explicit DuplicateFilter(std::size_t capacity = 256) : capacity_(capacity) {}
    // True the first time `unique_id` is seen (and records it), false for a repeat.
    bool CheckAndRecord(const std::string& unique_id);

private:
    std::mutex mutex_;
    std::size_t capacity_;
    std::deque<std::string> order_;
    std::unordered_set<std::string> seen_;
};

}  // namespace nova::rpc
