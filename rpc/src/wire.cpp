#include "nova/rpc/wire.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "nova/common/error.hpp"
#include "nova/common/json_escape.hpp"
#include "nova/common/time.hpp"
#include "nova/common/utf8.hpp"
#include "nova/common/uuid.hpp"

namespace nova::rpc {
namespace {

constexpr std::string_view kVersionKey = "oslo.version";
constexpr std::string_view kMessageKey = "oslo.message";
constexpr std::string_view kContextPrefix = "_context_";
constexpr std::string_view kRemoteSuffix = "_Remote";

std::string Dump(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// "X.Y[.Z]" -> {X, Y, Z}; nullopt when malformed.
std::optional<std::vector<long>> SplitVersion(std::string_view text) {
    std::vector<long> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = text.find('.', start);
        std::string_view part =
            text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty()) return std::nullopt;
        long value = 0;
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec != std::errc() || ptr != part.data() + part.size() || value < 0) return std::nullopt;
        parts.push_back(value);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
    if (parts.size() == 2) parts.push_back(0);
    return parts;
}

std::string StripRemote(std::string text) {
    if (text.size() >= kRemoteSuffix.size() &&
        text.compare(text.size() - kRemoteSuffix.size(), kRemoteSuffix.size(), kRemoteSuffix) == 0) {
        text.resize(text.size() - kRemoteSuffix.size());
    }
    return text;
}

bool EndsWithRemote(const std::string& text) {
    return text.size() >= kRemoteSuffix.size() &&
           text.compare(text.size() - kRemoteSuffix.size(), kRemoteSuffix.size(), kRemoteSuffix) == 0;
}

std::optional<std::string> OptionalStringMember(const Json& message, const char* key) {
    auto it = message.find(key);
    if (it == message.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw std::invalid_argument(std::string("'") + key + "' is not a string");
    return it->get<std::string>();
}

}  // namespace

// The envelope is written by hand (AppendJsonEscaped) because escaping the inner text is the
// hot spot of a cast.
std::string EncodeEnvelope(const Json& message) {
    const std::string inner = Dump(message);
    std::string body;
    body.reserve(inner.size() + inner.size() / 8 + 48);
    body += "{\"oslo.version\": \"2.0\", \"oslo.message\": \"";
    AppendJsonEscaped(body, inner);
    body += "\"}";
    return body;
}

namespace {

constexpr std::string_view kEnvelopeHead = "{\"oslo.version\": \"2.0\", \"oslo.message\": \"";
constexpr std::string_view kEnvelopeTail = "\"}";

// The escaped inner text of an envelope in exactly the layout oslo and EncodeEnvelope write;
// empty when the body has another layout.
std::optional<std::string_view> EnvelopeText(std::string_view body) {
    if (body.size() < kEnvelopeHead.size() + kEnvelopeTail.size() ||
        body.substr(0, kEnvelopeHead.size()) != kEnvelopeHead ||
        body.substr(body.size() - kEnvelopeTail.size()) != kEnvelopeTail) {
        return std::nullopt;
    }
    return body.substr(kEnvelopeHead.size(), body.size() - kEnvelopeHead.size() - kEnvelopeTail.size());
}

// True when `text` is the body of a JSON string with only the simple escapes (no \uXXXX, no
// bare quote or control character); anything else goes to the general parser.
bool HasOnlySimpleEscapes(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c < 0x20) return false;  // the string ended early, or is invalid
        if (c != '\\') continue;
        if (++i == text.size()) return false;
        switch (text[i]) {
            case '"': case '\\': case '/': case 'n': case 'r': case 't': case 'b': case 'f': break;
            default: return false;
        }
    }
    return true;
}

// Unescapes `text` (HasOnlySimpleEscapes) into `out`, which may be the same buffer at or before
// `text`: it never writes ahead of what it has read. Returns the length written.
std::size_t UnescapeSimple(std::string_view text, char* out) {
    std::size_t n = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') continue;
        std::memmove(out + n, text.data() + start, i - start);
        n += i - start;
        ++i;
        char c = text[i];
        switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            default: break;  // '"', '\\', '/' stand for themselves
        }
        out[n++] = c;
        start = i + 1;
    }
    std::memmove(out + n, text.data() + start, text.size() - start);
    return n + text.size() - start;
}

Json ParseInner(const char* begin, const char* end) {
    Json message = Json::parse(begin, end, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) throw std::invalid_argument("oslo.message is not JSON");
    return message;
}

// The general path: any JSON object, the 1.0 form or the 2.0 envelope in any layout.
Json DecodeGeneral(std::string_view body) {
    Json outer = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (outer.is_discarded()) throw std::invalid_argument("body is not JSON");
    if (!outer.is_object()) throw std::invalid_argument("body is not a JSON object");
    auto version = outer.find(kVersionKey);
    auto inner = outer.find(kMessageKey);
    if (version == outer.end() || inner == outer.end()) return outer;  // the 1.0 form
    if (!version->is_string() || !VersionIsCompatible("2.0", version->get<std::string>())) {
        throw std::invalid_argument("unsupported envelope version " + Dump(*version));
    }
    if (!inner->is_string()) throw std::invalid_argument("oslo.message is not a string");
    const auto& text = inner->get_ref<const std::string&>();
    return ParseInner(text.data(), text.data() + text.size());
}

}  // namespace

Json DecodeEnvelope(std::string_view body) {
    if (body.size() > kMaxMessageBytes) throw std::invalid_argument("message too large");
    if (auto text = EnvelopeText(body); text && HasOnlySimpleEscapes(*text)) {
        std::string inner(text->size(), '\0');
        const std::size_t n = UnescapeSimple(*text, inner.data());
        return ParseInner(inner.data(), inner.data() + n);
    }
    return DecodeGeneral(body);
}

Json DecodeEnvelopeInPlace(std::string& body) {
    if (body.size() > kMaxMessageBytes) throw std::invalid_argument("message too large");
    if (auto text = EnvelopeText(body); text && HasOnlySimpleEscapes(*text)) {
        // Unescaped in place, over the envelope's head: no copy of the message.
        const std::size_t n = UnescapeSimple(*text, body.data());
        return ParseInner(body.data(), body.data() + n);
    }
    return DecodeGeneral(body);
}

bool IsValidVersion(std::string_view version) { return SplitVersion(version).has_value(); }

bool VersionIsCompatible(std::string_view implemented, std::string_view requested) {
    auto impl = SplitVersion(implemented);
    auto req = SplitVersion(requested);
    if (!impl || !req) return false;
    if ((*impl)[0] != (*req)[0]) return false;
    if ((*req)[1] > (*impl)[1]) return false;
    if ((*req)[1] == (*impl)[1] && (*req)[2] > (*impl)[2]) return false;
    return true;
}

void FlattenContext(const RequestContext& context, Json& message) {
    const Json values = context.ToDict();
    for (const auto& [key, value] : values.items()) {
        message[std::string(kContextPrefix) + key] = value;
    }
}

namespace {

// Writes an enveloped message: the inner JSON object goes straight into the envelope's string,
// escaped once more, so the message is written once and never held as a Json tree.
class EnvelopeWriter {
public:
    EnvelopeWriter() {
        out_.reserve(2048);
        out_ += kEnvelopeHead;
        out_ += '{';
    }
    void Key(std::string_view key) {
        if (!first_) out_ += ", ";
        first_ = false;
        String(key);
        out_ += ": ";
    }
    void String(std::string_view s) {
        for (unsigned char c : s) {
            if (c >= 0x80) {  // not plain ASCII: let the JSON library write (and repair) it
                AppendJsonEscaped(out_, Dump(Json(std::string(s))));
                return;
            }
        }
        out_ += "\\\"";
        std::size_t start = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            out_.append(s.data() + start, i - start);
            start = i + 1;
            // The inner escape, itself escaped for the envelope.
            switch (c) {
                case '"': out_ += "\\\\\\\""; break;  // inner \" escaped again
                case '\\': out_ += "\\\\\\\\"; break;  // inner backslash pair escaped again
                case '\n': out_ += "\\\\n"; break;
                case '\r': out_ += "\\\\r"; break;
                case '\t': out_ += "\\\\t"; break;
                case '\b': out_ += "\\\\b"; break;
                case '\f': out_ += "\\\\f"; break;
                default: {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out_ += "\\\\u00";
                    out_ += kHex[c >> 4];
                    out_ += kHex[c & 0xf];
                }
            }
        }
        out_.append(s.data() + start, s.size() - start);
        out_ += "\\\"";
    }
    void OptionalString(const std::optional<std::string>& s) {
        if (s) {
            String(*s);
        } else {
            out_ += "null";
        }
    }
    void StringOrNull(const std::string& s) {
        if (s.empty()) {
            out_ += "null";
        } else {
            String(s);
        }
    }
    void Bool(bool b) { out_ += b ? "true" : "false"; }
    void Value(const Json& value) {
        if (value.is_string()) {
            String(value.get_ref<const std::string&>());
        } else if (value.is_null()) {
            out_ += "null";
        } else {
            AppendJsonEscaped(out_, Dump(value));
        }
    }
    std::string Finish() {
        out_ += '}';
        out_ += kEnvelopeTail;
        return std::move(out_);
    }

private:
    std::string out_;
    bool first_ = true;
};

}  // namespace

std::string EncodeRequest(const RequestContext& context, std::string_view method, const Json& args,
                          const std::optional<std::string>& namespace_,
                          const std::optional<std::string>& version, const CallFields* call,
                          std::string_view unique_id) {
    EnvelopeWriter w;
    w.Key("method");
    w.String(method);
    w.Key("args");
    if (args.is_null()) {
        w.Value(Json::object());
    } else {
        w.Value(args);
    }
    if (namespace_) {
        w.Key("namespace");
        w.String(*namespace_);
    }
    if (version) {
        w.Key("version");
        w.String(*version);
    }
    // The keys of RequestContext::ToDict(), flattened (a unit test holds the two together).
    w.Key("_context_user");
    w.StringOrNull(context.user_id);
    w.Key("_context_project_id");
    w.StringOrNull(context.project_id);
    w.Key("_context_system_scope");
    w.OptionalString(context.system_scope);
    w.Key("_context_project");
    w.StringOrNull(context.project_id);
    w.Key("_context_domain");
    w.StringOrNull(context.domain_id);
    w.Key("_context_user_domain");
    w.StringOrNull(context.user_domain_id);
    w.Key("_context_project_domain");
    w.StringOrNull(context.project_domain_id);
    w.Key("_context_is_admin");
    w.Bool(context.is_admin);
    w.Key("_context_read_only");
    w.Bool(context.read_only);
    w.Key("_context_show_deleted");
    w.Bool(context.show_deleted);
    w.Key("_context_auth_token");
    w.OptionalString(context.auth_token);
    w.Key("_context_request_id");
    w.String(context.request_id);
    w.Key("_context_global_request_id");
    w.OptionalString(context.global_request_id);
    w.Key("_context_resource_uuid");
    w.OptionalString(context.resource_uuid);
    w.Key("_context_roles");
    w.Value(Json(context.roles));
    w.Key("_context_user_identity");
    w.String(context.UserIdentity());
    w.Key("_context_is_admin_project");
    w.Bool(context.is_admin_project);
    w.Key("_context_user_id");
    w.StringOrNull(context.user_id);
    w.Key("_context_read_deleted");
    w.String(context.read_deleted);
    w.Key("_context_remote_address");
    w.OptionalString(context.remote_address);
    w.Key("_context_timestamp");
    w.String(timeutil::IsoMicro(context.timestamp));
    w.Key("_context_quota_class");
    w.OptionalString(context.quota_class);
    w.Key("_context_user_name");
    w.StringOrNull(context.user_name);
    w.Key("_context_service_catalog");
    w.Value(context.service_catalog);
    w.Key("_context_project_name");
    w.StringOrNull(context.project_name);
    if (call) {
        w.Key("_msg_id");
        w.String(call->msg_id);
        w.Key("_reply_q");
        w.String(call->reply_q);
        w.Key("_timeout");
        if (call->timeout) {
            w.Value(Json(*call->timeout));
        } else {
            w.Value(Json(nullptr));
        }
    }
    w.Key("_unique_id");
    w.String(unique_id);
    return w.Finish();
}

RequestContext ExtractContext(Json& message) {
    Json values = Json::object();
    if (!message.is_object()) return RequestContext::FromDict(values);
    // An object's keys are sorted, so the `_context_*` ones are one run: move them out in order
    // (stripping a common prefix keeps the order) and erase the run at once.
    auto& members = message.get_ref<Json::object_t&>();
    auto& out = values.get_ref<Json::object_t&>();
    auto first = members.lower_bound(kContextPrefix);
    auto last = first;
    for (; last != members.end() && last->first.compare(0, kContextPrefix.size(), kContextPrefix) == 0;
         ++last) {
        out.emplace_hint(out.end(), last->first.substr(kContextPrefix.size()), std::move(last->second));
    }
    members.erase(first, last);
    return RequestContext::FromDict(values);
}

Request ParseRequest(Json message) {
    if (!message.is_object()) throw std::invalid_argument("message is not an object");
    Request request;
    auto method = message.find("method");
    if (method == message.end() || !method->is_string() || method->get_ref<const std::string&>().empty()) {
        throw std::invalid_argument("message has no method");
    }
    request.method = method->get<std::string>();
    if (auto args = message.find("args"); args != message.end() && !args->is_null()) {
        if (!args->is_object()) throw std::invalid_argument("'args' is not an object");
        request.args = std::move(*args);
    }
    request.namespace_ = OptionalStringMember(message, "namespace");
    if (auto version = OptionalStringMember(message, "version")) request.version = *version;
    request.msg_id = OptionalStringMember(message, "_msg_id");
    request.reply_q = OptionalStringMember(message, "_reply_q");
    if (request.msg_id.has_value() != request.reply_q.has_value()) {
        throw std::invalid_argument("'_msg_id' and '_reply_q' must come together");
    }
    if (auto timeout = message.find("_timeout"); timeout != message.end() && !timeout->is_null()) {
        if (timeout->is_number()) request.call_monitor_timeout = timeout->get<double>();
        // oslo only warns about a non-numeric call-monitor timeout; so do we (no heartbeats).
    }
    request.unique_id = OptionalStringMember(message, "_unique_id");
    request.context = ExtractContext(message);
    return request;
}

namespace {

// A validating JSON scanner over one text: reads strings and scalars directly, skips (and
// checks) what the caller does not need, and hands the spans it wants as trees to nlohmann.
class Scanner {
public:
    explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    [[noreturn]] static void Fail(const char* what) { throw std::invalid_argument(what); }

    char Peek() {
        Ws();
        if (p_ == end_) Fail("unexpected end of JSON");
        return *p_;
    }
    void Expect(char c) {
        if (Peek() != c) Fail("unexpected character in JSON");
        ++p_;
    }
    bool Consume(char c) {
        if (Peek() != c) return false;
        ++p_;
        return true;
    }
    bool AtEnd() {
        Ws();
        return p_ == end_;
    }

    // A string value, unescaped into `out`.
    void String(std::string& out) {
        Expect('"');
        out.clear();
        const char* start = p_;
        while (true) {
            while (p_ < end_) {
                const auto c = static_cast<unsigned char>(*p_);
                if (c == '"' || c == '\\' || c < 0x20) break;
                if (c >= 0x80) {
                    Utf8();
                } else {
                    ++p_;
                }
            }
            if (p_ == end_) Fail("unterminated string");
            if (*p_ == '"') {
                out.append(start, p_);
                ++p_;
                return;
            }
            if (*p_ != '\\') Fail("control character in a string");
            out.append(start, p_);
            ++p_;
            Escape(&out);
            start = p_;
        }
    }
    void SkipString() {
        Expect('"');
        while (true) {
            while (p_ < end_) {
                const auto c = static_cast<unsigned char>(*p_);
                if (c == '"' || c == '\\' || c < 0x20) break;
                if (c >= 0x80) {
                    Utf8();
                } else {
                    ++p_;
                }
            }
            if (p_ == end_) Fail("unterminated string");
            if (*p_ == '"') {
                ++p_;
                return;
            }
            if (*p_ != '\\') Fail("control character in a string");
            ++p_;
            Escape(nullptr);
        }
    }

    // Skips one value (checking it); returns its text.
    std::string_view Skip(int depth = 0) {
        if (depth > 512) Fail("JSON nested too deeply");
        const char c = Peek();
        const char* begin = p_;
        if (c == '"') {
            SkipString();
        } else if (c == '{') {
            ++p_;
            if (!Consume('}')) {
                do {
                    if (Peek() != '"') Fail("object key is not a string");
                    SkipString();
                    Expect(':');
                    Skip(depth + 1);
                } while (Consume(','));
                Expect('}');
            }
        } else if (c == '[') {
            ++p_;
            if (!Consume(']')) {
                do {
                    Skip(depth + 1);
                } while (Consume(','));
                Expect(']');
            }
        } else if (c == 't') {
            Literal("true");
        } else if (c == 'f') {
            Literal("false");
        } else if (c == 'n') {
            Literal("null");
        } else {
            Number();
        }
        return {begin, static_cast<std::size_t>(p_ - begin)};
    }

    void Literal(std::string_view word) {
        Ws();
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            Fail("bad literal in JSON");
        }
        p_ += word.size();
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    std::string_view Number() {
        Ws();
        const char* begin = p_;
        if (p_ < end_ && *p_ == '-') ++p_;
        if (p_ < end_ && *p_ == '0') {
            ++p_;
        } else if (Digits() == 0) {
            Fail("bad number in JSON");
        }
        if (p_ < end_ && *p_ == '.') {
            ++p_;
            if (Digits() == 0) Fail("bad number in JSON");
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (Digits() == 0) Fail("bad number in JSON");
        }
        return {begin, static_cast<std::size_t>(p_ - begin)};
    }

private:
    void Ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }
    std::size_t Digits() {
        const char* begin = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        return static_cast<std::size_t>(p_ - begin);
    }
    unsigned Hex4() {
        if (end_ - p_ < 4) Fail("bad \\u escape");
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = *p_++;
            value <<= 4;
            if (c >= '0' && c <= '9') {
                value |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                value |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                value |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                Fail("bad \\u escape");
            }
        }
        return value;
    }
    // After a backslash.
    void Escape(std::string* out) {
        if (p_ == end_) Fail("unterminated string");
        const char c = *p_++;
        char plain = 0;
        switch (c) {
            case '"': plain = '"'; break;
            case '\\': plain = '\\'; break;
            case '/': plain = '/'; break;
            case 'b': plain = '\b'; break;
            case 'f': plain = '\f'; break;
            case 'n': plain = '\n'; break;
            case 'r': plain = '\r'; break;
            case 't': plain = '\t'; break;
            case 'u': {
                unsigned cp = Hex4();
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') Fail("lone surrogate");
                    p_ += 2;
                    const unsigned low = Hex4();
                    if (low < 0xDC00 || low > 0xDFFF) Fail("lone surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    Fail("lone surrogate");
                }
                if (out) nova::AppendUtf8(*out, static_cast<char32_t>(cp));
                return;
            }
            default:
                Fail("bad escape in a string");
        }
        if (out) *out += plain;
    }
    // One well-formed UTF-8 sequence at p_ (RFC 3629: no overlong forms, no surrogates).
    void Utf8() {
        const auto b0 = static_cast<unsigned char>(*p_);
        int n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            n = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            n = 2;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            n = 3;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        } else {
            Fail("invalid UTF-8");
        }
        if (end_ - p_ <= n) Fail("invalid UTF-8");
        for (int i = 1; i <= n; ++i) {
            const auto b = static_cast<unsigned char>(p_[i]);
            if (b < lo || b > hi) Fail("invalid UTF-8");
            lo = 0x80;
            hi = 0xBF;
        }
        p_ += n + 1;
    }

    const char* p_;
    const char* end_;
};

Json ParseSpan(std::string_view span) {
    Json value = Json::parse(span.begin(), span.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) throw std::invalid_argument("not JSON");
    return value;
}

// A string or null member.
std::optional<std::string> ScanOptionalString(Scanner& s, const char* key) {
    const char c = s.Peek();
    if (c == 'n') {
        s.Literal("null");
        return std::nullopt;
    }
    if (c != '"') throw std::invalid_argument(std::string("'") + key + "' is not a string");
    std::string value;
    s.String(value);
    return value;
}

// A context value as FromDict reads it.
Json ScanValue(Scanner& s) {
    switch (s.Peek()) {
        case '"': {
            std::string value;
            s.String(value);
            return Json(std::move(value));
        }
        case 'n':
            s.Literal("null");
            return Json(nullptr);
        case 't':
            s.Literal("true");
            return Json(true);
        case 'f':
            s.Literal("false");
            return Json(false);
        default:
            return ParseSpan(s.Skip());
    }
}

}  // namespace

Request ParseRequestText(std::string_view text) {
    Scanner s(text);
    Request request;
    Json context = Json::object();
    auto& context_members = context.get_ref<Json::object_t&>();
    bool have_method = false;
    std::string key;
    s.Expect('{');
    if (!s.Consume('}')) {
        do {
            if (s.Peek() != '"') Scanner::Fail("object key is not a string");
            s.String(key);
            s.Expect(':');
            if (key.size() > kContextPrefix.size() &&
                key.compare(0, kContextPrefix.size(), kContextPrefix) == 0) {
                context_members.insert_or_assign(key.substr(kContextPrefix.size()), ScanValue(s));
            } else if (key == "method") {
                if (s.Peek() != '"') Scanner::Fail("message has no method");
                s.String(request.method);
                have_method = true;
            } else if (key == "args") {
                const char c = s.Peek();
                if (c == 'n') {
                    s.Literal("null");
                    request.args = Json::object();
                } else if (c == '{') {
                    request.args = ParseSpan(s.Skip());
                } else {
                    Scanner::Fail("'args' is not an object");
                }
            } else if (key == "namespace") {
                request.namespace_ = ScanOptionalString(s, "namespace");
            } else if (key == "version") {
                request.version = ScanOptionalString(s, "version").value_or("1.0");
            } else if (key == "_msg_id") {
                request.msg_id = ScanOptionalString(s, "_msg_id");
            } else if (key == "_reply_q") {
                request.reply_q = ScanOptionalString(s, "_reply_q");
            } else if (key == "_unique_id") {
                request.unique_id = ScanOptionalString(s, "_unique_id");
            } else if (key == "_timeout") {
                const char c = s.Peek();
                if (c == '-' || (c >= '0' && c <= '9')) {
                    const auto number = s.Number();
                    double value = 0;
                    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
                    if (ec != std::errc() || ptr != number.data() + number.size()) {
                        Scanner::Fail("bad _timeout");
                    }
                    request.call_monitor_timeout = value;
                } else {
                    // null, or not numeric: oslo only warns (no heartbeats).
                    s.Skip();
                    request.call_monitor_timeout.reset();
                }
            } else {
                s.Skip();
            }
        } while (s.Consume(','));
        s.Expect('}');
    }
    if (!s.AtEnd()) Scanner::Fail("characters after the JSON object");
    if (!have_method || request.method.empty()) Scanner::Fail("message has no method");
    if (request.msg_id.has_value() != request.reply_q.has_value()) {
        Scanner::Fail("'_msg_id' and '_reply_q' must come together");
    }
    request.context = RequestContext::FromDict(context);
    return request;
}

namespace {

// The scanners' common path: the inner message unescaped in place, over the envelope's head (no
// copy of the message), and given to `scan`. When the envelope needs the general path or `scan`
// refuses the text, the message is parsed as JSON and `from_json` decides (and gives the error
// of record).
template <class Scan, class FromJson>
auto ScanBody(std::string& body, Scan scan, FromJson from_json) {
    if (body.size() > kMaxMessageBytes) throw std::invalid_argument("message too large");
    if (auto text = EnvelopeText(body); text && HasOnlySimpleEscapes(*text)) {
        const std::size_t n = UnescapeSimple(*text, body.data());
        const std::string_view inner(body.data(), n);
        try {
            return scan(inner);
        } catch (const std::invalid_argument&) {
        }
        return from_json(ParseInner(inner.data(), inner.data() + n));
    }
    return from_json(DecodeGeneral(body));
}

}  // namespace

Request ParseRequestBody(std::string& body) {
    return ScanBody(body, ParseRequestText, [](Json message) { return ParseRequest(std::move(message)); });
}

namespace {

ReplyFields ReplyFromJson(const Json& message) {
    if (!message.is_object()) throw std::invalid_argument("reply is not a JSON object");
    ReplyFields reply;
    if (auto it = message.find("_msg_id"); it != message.end() && it->is_string()) {
        reply.msg_id = it->get<std::string>();
    }
    if (auto it = message.find("result"); it != message.end()) reply.result = *it;
    if (auto it = message.find("failure"); it != message.end() && it->is_string()) {
        reply.failure = it->get<std::string>();
    }
    if (auto it = message.find("ending"); it != message.end() && it->is_boolean()) {
        reply.ending = it->get<bool>();
    }
    return reply;
}

ReplyFields ScanReply(std::string_view text) {
    Scanner s(text);
    ReplyFields reply;
    std::string key;
    s.Expect('{');
    if (!s.Consume('}')) {
        do {
            if (s.Peek() != '"') Scanner::Fail("object key is not a string");
            s.String(key);
            s.Expect(':');
            const char c = s.Peek();
            if (key == "_msg_id" || key == "failure") {
                std::optional<std::string>& field = key == "_msg_id" ? reply.msg_id : reply.failure;
                if (c == '"') {
                    field.emplace();
                    s.String(*field);
                } else {
                    s.Skip();
                    field.reset();
                }
            } else if (key == "result") {
                if (c == 'n') {
                    s.Literal("null");
                    reply.result = nullptr;
                } else {
                    reply.result = ParseSpan(s.Skip());
                }
            } else if (key == "ending") {
                const auto value = s.Skip();
                reply.ending = value == "true";
            } else {
                s.Skip();
            }
        } while (s.Consume(','));
        s.Expect('}');
    }
    if (!s.AtEnd()) Scanner::Fail("characters after the JSON object");
    return reply;
}

}  // namespace

ReplyFields ParseReplyBody(std::string& body) { return ScanBody(body, ScanReply, ReplyFromJson); }

Failure CurrentFailure() {
    Failure failure;
    try {
        throw;
    } catch (const NovaError& e) {
        failure.class_name = std::string(e.class_name());
        failure.module = std::string(e.module());
        failure.message = e.message();
        failure.kwargs = e.kwargs();
        if (!failure.kwargs.is_object()) failure.kwargs = Json::object();
        failure.args = Json::array({e.message()});
    } catch (const std::exception& e) {
        failure.class_name = "RuntimeError";
        failure.module = "builtins";
        failure.message = e.what();
        failure.args = Json::array({failure.message});
    } catch (...) {
        failure.class_name = "RuntimeError";
        failure.module = "builtins";
        failure.message = "unknown C++ exception";
        failure.args = Json::array({failure.message});
    }
    return failure;
}

std::string SerializeFailure(const Failure& failure) {
    std::string class_name = failure.class_name;
    std::string module = failure.module;
    if (EndsWithRemote(class_name) && EndsWithRemote(module)) {
        class_name = StripRemote(class_name);
        module = StripRemote(module);
    }
    Json data = Json::object();
    data["class"] = class_name;
    data["module"] = module;
    data["message"] = failure.message;
    data["tb"] = failure.tb.is_array() ? failure.tb : Json::array();
    data["args"] = failure.args.is_array() ? failure.args : Json::array();
    data["kwargs"] = failure.kwargs.is_object() ? failure.kwargs : Json::object();
    return Dump(data);
}

Failure ParseFailure(std::string_view text) {
    Failure failure;
    Json data = Json::parse(text.begin(), text.end(), nullptr, false);
    if (data.is_discarded() || !data.is_object()) {
        failure.class_name = "Exception";
        failure.module = "builtins";
        failure.message = std::string(text);
        return failure;
    }
    auto str = [&](const char* key) {
        auto it = data.find(key);
        return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    failure.class_name = str("class");
    failure.module = str("module");
    failure.message = str("message");
    if (auto it = data.find("tb"); it != data.end() && it->is_array()) failure.tb = *it;
    if (auto it = data.find("args"); it != data.end() && it->is_array()) failure.args = *it;
    if (auto it = data.find("kwargs"); it != data.end() && it->is_object()) failure.kwargs = *it;
    return failure;
}

std::exception_ptr FailureToException(const Failure& failure) {
    std::string module = failure.module == "exceptions" ? "builtins" : failure.module;
    std::string class_name = failure.class_name;
    if (EndsWithRemote(class_name) && EndsWithRemote(module)) {
        class_name = StripRemote(class_name);
        module = StripRemote(module);
    }
    if (auto error = MakeErrorByName(class_name, failure.message, failure.kwargs);
        error && error->module() == module) {
        try {
            error->Rethrow();
        } catch (...) {
            return std::current_exception();
        }
    }
    std::string traceback;
    for (const auto& line : failure.tb) {
        if (line.is_string()) traceback += line.get<std::string>();
    }
    return std::make_exception_ptr(RemoteError({{"exc_type", class_name},
                                                {"value", failure.message},
                                                {"traceback", traceback},
                                                {"module", module}}));
}

Json MakeReply(const std::string& msg_id, Json result, const std::optional<Failure>& failure,
               bool ending) {
    Json reply = Json::object();
    reply["result"] = std::move(result);
    reply["failure"] = failure ? Json(SerializeFailure(*failure)) : Json(nullptr);
    reply["ending"] = ending;
    reply["_msg_id"] = msg_id;
    reply["_unique_id"] = GenerateUuidHex();
    return reply;
}

std::string EncodeReply(std::string_view msg_id, const Json& result,
                        const std::optional<Failure>& failure, bool ending,
                        std::string_view unique_id) {
    EnvelopeWriter w;
    w.Key("result");
    w.Value(result);
    w.Key("failure");
    if (failure) {
        w.String(SerializeFailure(*failure));
    } else {
        w.Value(Json(nullptr));
    }
    w.Key("ending");
    w.Bool(ending);
    w.Key("_msg_id");
    w.String(msg_id);
    w.Key("_unique_id");
    w.String(unique_id);
    return w.Finish();
}

bool DuplicateFilter::CheckAndRecord(const std::string& unique_id) {
    std::lock_guard lock(mutex_);
    if (!seen_.insert(unique_id).second) return false;
    order_.push_back(unique_id);
    if (order_.size() > capacity_) {
        seen_.erase(order_.front());
        order_.pop_front();
    }
    return true;
}

}  // namespace nova::rpc
