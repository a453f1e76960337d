#include <cctype>
#include <stdexcept>

#include "nova/api/policy.hpp"
#include "nova/common/error.hpp"

namespace nova::api {

// A parsed check string (oslo.policy's _checks).
struct RulePolicy::Check {
    enum class Kind { kTrue, kFalse, kAnd, kOr, kNot, kRule, kRole, kGeneric };
    Kind kind = Kind::kTrue;
    std::string key;    // rule name, or the credential for a generic check
    std::string match;  // the right-hand side, may hold %(name)s
    std::vector<std::unique_ptr<Check>> children;
};

namespace {

using Check = RulePolicy::Check;

// oslo.policy's tokenizer: whitespace separates tokens; parentheses count only at a token's
// start or end, so that "%(project_id)s" stays whole.
std::vector<std::string> Tokenize(const std::string& text) {
    std::vector<std::string> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::string word = text.substr(start, i - start);
        if (word.empty()) continue;
        std::size_t open = 0;
        while (open < word.size() && word[open] == '(') {
            tokens.emplace_back("(");
            ++open;
        }
        std::size_t close = 0;
        while (close < word.size() - open && word[word.size() - 1 - close] == ')') ++close;
        std::string core = word.substr(open, word.size() - open - close);
        if (!core.empty()) tokens.push_back(core);
        for (std::size_t k = 0; k < close; ++k) tokens.emplace_back(")");
    }
    return tokens;
}

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class Parser {
public:
    Parser(std::vector<std::string> tokens, const std::string& text)
        : tokens_(std::move(tokens)), text_(text) {}

    std::unique_ptr<Check> Parse() {
        if (tokens_.empty()) {
            auto always = std::make_unique<Check>();  // "" means always allowed
            always->kind = Check::Kind::kTrue;
            return always;
        }
        auto check = Or();
        if (pos_ != tokens_.size()) Fail();
        return check;
    }

private:
    [[noreturn]] void Fail() { throw std::invalid_argument("malformed policy check: " + text_); }
    bool AtKeyword(std::string_view word) const {
        return pos_ < tokens_.size() && Lower(tokens_[pos_]) == word;
    }

    std::unique_ptr<Check> Or() {
        auto left = And();
        if (!AtKeyword("or")) return left;
        auto node = std::make_unique<Check>();
        node->kind = Check::Kind::kOr;
        node->children.push_back(std::move(left));
        while (AtKeyword("or")) {
            ++pos_;
            node->children.push_back(And());
        }
        return node;
    }

    std::unique_ptr<Check> And() {
        auto left = Not();
        if (!AtKeyword("and")) return left;
        auto node = std::make_unique<Check>();
        node->kind = Check::Kind::kAnd;
        node->children.push_back(std::move(left));
        while (AtKeyword("and")) {
            ++pos_;
            node->children.push_back(Not());
        }
        return node;
    }

    std::unique_ptr<Check> Not() {
        if (AtKeyword("not")) {
            ++pos_;
            auto node = std::make_unique<Check>();
            node->kind = Check::Kind::kNot;
            node->children.push_back(Not());
            return node;
        }
        return Atom();
    }

    std::unique_ptr<Check> Atom() {
        if (pos_ >= tokens_.size()) Fail();
        const std::string& token = tokens_[pos_++];
        if (token == "(") {
            auto inner = Or();
            if (pos_ >= tokens_.size() || tokens_[pos_] != ")") Fail();
            ++pos_;
            return inner;
        }
        auto node = std::make_unique<Check>();
        if (token == "@") {
            node->kind = Check::Kind::kTrue;
        } else if (token == "!") {
            node->kind = Check::Kind::kFalse;
        } else {
            auto colon = token.find(':');
            if (colon == std::string::npos) Fail();
            std::string kind = token.substr(0, colon);
            node->match = token.substr(colon + 1);
            if (kind == "rule") {
                node->kind = Check::Kind::kRule;
                node->key = node->match;
            } else if (kind == "role") {
                node->kind = Check::Kind::kRole;
            } else {
                node->kind = Check::Kind::kGeneric;
                node->key = kind;
            }
        }
        return node;
    }

    std::vector<std::string> tokens_;
    const std::string& text_;
    std::size_t pos_ = 0;
};

std::unique_ptr<Check> ParseCheck(const std::string& text) {
    return Parser(Tokenize(text), text).Parse();
}

// Python's str() of a target or credential value, for comparisons.
std::string PyString(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    return PythonStr(value);
}

// "%(project_id)s" -> the target's value; nullopt when a key is missing (oslo: no match).
std::optional<std::string> Substitute(const std::string& match, const Json& target) {
    std::string out;
    for (std::size_t i = 0; i < match.size(); ++i) {
        if (match.compare(i, 2, "%(") == 0) {
            auto close = match.find(")s", i);
            if (close == std::string::npos) return std::nullopt;
            std::string key = match.substr(i + 2, close - i - 2);
            if (!target.is_object() || !target.contains(key)) return std::nullopt;
            out += PyString(target[key]);
            i = close + 1;
        } else {
            out += match[i];
        }
    }
    return out;
}

Json Credentials(const RequestContext& context) {
    Json roles = Json::array();
    for (const auto& r : context.roles) roles.push_back(r);
    auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
    return Json{{"user_id", or_null(context.user_id)},
                {"project_id", or_null(context.project_id)},
                {"domain_id", or_null(context.domain_id)},
                {"user_domain_id", or_null(context.user_domain_id)},
                {"project_domain_id", or_null(context.project_domain_id)},
                {"system_scope", context.system_scope ? Json(*context.system_scope) : Json(nullptr)},
                {"roles", roles},
                {"is_admin_project", context.is_admin_project},
                {"is_admin", context.is_admin}};
}

}  // namespace

RulePolicy::RulePolicy(const std::vector<RuleDefault>& rules, Options options) {
    for (const auto& rule : rules) {
        std::string text = rule.check;
        if (auto it = options.overrides.find(rule.name); it != options.overrides.end()) {
            text = it->second;
        } else if (!options.enforce_new_defaults && !rule.deprecated_check.empty() &&
                   rule.deprecated_check != rule.check) {
            // oslo.policy: the new default OR the deprecated one.
            text = "(" + rule.check + ") or (" + rule.deprecated_check + ")";
        }
        rules_[rule.name] = ParseCheck(text);
    }
    for (const auto& [name, text] : options.overrides) {
        if (!rules_.count(name)) rules_[name] = ParseCheck(text);
    }
}

RulePolicy::~RulePolicy() = default;

bool RulePolicy::IsRegistered(std::string_view rule) const { return rules_.find(rule) != rules_.end(); }

namespace {

bool Evaluate(const Check& check, const Json& target, const Json& creds,
              const std::map<std::string, std::unique_ptr<Check>, std::less<>>& rules, int depth) {
    if (depth > 64) return false;  // a rule that refers to itself
    switch (check.kind) {
        case Check::Kind::kTrue: return true;
        case Check::Kind::kFalse: return false;
        case Check::Kind::kAnd:
            for (const auto& c : check.children) {
                if (!Evaluate(*c, target, creds, rules, depth + 1)) return false;
            }
            return true;
        case Check::Kind::kOr:
            for (const auto& c : check.children) {
                if (Evaluate(*c, target, creds, rules, depth + 1)) return true;
            }
            return false;
        case Check::Kind::kNot:
            return !Evaluate(*check.children[0], target, creds, rules, depth + 1);
        case Check::Kind::kRule: {
            auto it = rules.find(check.key);
            return it != rules.end() && Evaluate(*it->second, target, creds, rules, depth + 1);
        }
        case Check::Kind::kRole: {
            auto match = Substitute(check.match, target);
            if (!match) return false;
            std::string wanted = Lower(*match);
            for (const auto& role : creds["roles"]) {
                if (Lower(role.get<std::string>()) == wanted) return true;
            }
            return false;
        }
        case Check::Kind::kGeneric: {
            auto match = Substitute(check.match, target);
            if (!match) return false;
            // A literal on the left ("True:%(flag)s") compares with the literal's text.
            if (check.key == "True" || check.key == "False") return *match == check.key;
            const Json* value = &creds;
            std::size_t start = 0;
            while (true) {
                auto dot = check.key.find('.', start);
                std::string part = check.key.substr(start, dot == std::string::npos ? dot : dot - start);
                if (!value->is_object() || !value->contains(part)) return false;
                value = &(*value)[part];
                if (dot == std::string::npos) break;
                start = dot + 1;
            }
            if (value->is_array()) {
                for (const auto& item : *value) {
                    if (PyString(item) == *match) return true;
                }
                return false;
            }
            return PyString(*value) == *match;
        }
    }
    return false;
}

}  // namespace

bool RulePolicy::Allowed(const RequestContext& context, std::string_view rule,
                         const Json& target) const {
    auto it = rules_.find(rule);
    if (it == rules_.end()) return false;
    return Evaluate(*it->second, target, Credentials(context), rules_, 0);
}

Json Policy::DefaultTarget(const RequestContext& context) {
    auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
    return Json{{"project_id", or_null(context.project_id)}, {"user_id", or_null(context.user_id)}};
}

void Policy::Authorize(const RequestContext& context, std::string_view rule,
                       const Json& target) const {
    if (!Allowed(context, rule, target)) {
        throw PolicyNotAuthorized({{"action", std::string(rule)}});
    }
}

void Policy::Authorize(const RequestContext& context, std::string_view rule) const {
    Authorize(context, rule, DefaultTarget(context));
}

bool IsUserContext(const RequestContext& context) {
    return !context.is_admin && !context.user_id.empty() && !context.project_id.empty();
}

bool ProjectVisible(const RequestContext& context, std::string_view project_id) {
    return !IsUserContext(context) || context.project_id == project_id;
}

}  // namespace nova::api
