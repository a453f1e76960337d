// oslo.policy's policy file: a mapping of rule names to check strings, in JSON or YAML
// (oslo.policy tries JSON first, then YAML's safe_load). libyaml reads the YAML.
#include <yaml.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "nova/api/policy.hpp"
#include "nova/common/log.hpp"

namespace nova::api {

namespace {

std::map<std::string, std::string> FromJson(const Json& document) {
    if (!document.is_object()) throw std::invalid_argument("a policy file must hold a mapping of rules");
    std::map<std::string, std::string> rules;
    for (const auto& [name, check] : document.items()) {
        if (!check.is_string()) {
            throw std::invalid_argument("the check of rule " + name + " is not a string");
        }
        rules[name] = check.get<std::string>();
    }
    return rules;
}

// The YAML events of a flat mapping of scalars: {name: check, ...}.
std::map<std::string, std::string> FromYaml(const std::string& text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) throw std::runtime_error("libyaml: cannot initialize a parser");
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());

    std::map<std::string, std::string> rules;
    std::optional<std::string> key;
    int depth = 0;  // 1 inside the top-level mapping
    bool seen_mapping = false;
    while (true) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            std::string problem = parser.problem ? parser.problem : "malformed YAML";
            throw std::invalid_argument("line " + std::to_string(parser.problem_mark.line + 1) + ": " + problem);
        }
        std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_guard(&event, yaml_event_delete);
        switch (event.type) {
            case YAML_STREAM_END_EVENT: return rules;
            case YAML_MAPPING_START_EVENT:
                if (depth > 0 || seen_mapping) {
                    throw std::invalid_argument("line " + std::to_string(event.start_mark.line + 1) +
                                                ": a rule's check must be a string");
                }
                ++depth;
                seen_mapping = true;
                break;
            case YAML_MAPPING_END_EVENT: --depth; break;
            case YAML_SEQUENCE_START_EVENT:
                throw std::invalid_argument("line " + std::to_string(event.start_mark.line + 1) +
                                            (depth == 0 ? ": a policy file must hold a mapping of rules"
                                                        : ": a rule's check must be a string (lists are not supported)"));
            case YAML_ALIAS_EVENT: throw std::invalid_argument("aliases are not supported in a policy file");
            case YAML_SCALAR_EVENT: {
                std::string value(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
                if (depth == 0) {
                    // A document that is a lone scalar: only an empty one (null) is acceptable.
                    bool plain_null = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                      (value.empty() || value == "~" || value == "null");
                    if (!plain_null) throw std::invalid_argument("a policy file must hold a mapping of rules");
                } else if (!key) {
                    key = std::move(value);
                } else {
                    rules[*key] = std::move(value);
                    key.reset();
                }
                break;
            }
            default: break;
        }
    }
}

}  // namespace

std::map<std::string, std::string> ParsePolicyFile(const std::string& text) {
    Json document = Json::parse(text, nullptr, false);
    if (!document.is_discarded()) return FromJson(document);
    return FromYaml(text);
}

std::map<std::string, std::string> LoadPolicyFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("cannot read policy file " + path);
    std::stringstream text;
    text << in.rdbuf();
    try {
        auto rules = ParsePolicyFile(text.str());
        for (const auto& [name, check] : rules) {
            RulePolicy probe({{name, check, ""}});  // throws on a malformed check string
        }
        return rules;
    } catch (const std::exception& e) {
        throw std::invalid_argument("policy file " + path + ": " + e.what());
    }
}

struct FilePolicy::State {
    std::mutex mutex;
    std::shared_ptr<const RulePolicy> policy;
    std::filesystem::file_time_type mtime{};
};

FilePolicy::FilePolicy(std::vector<RuleDefault> rules, RulePolicy::Options options, std::string path)
    : defaults_(std::move(rules)), options_(std::move(options)), path_(std::move(path)),
      state_(std::make_unique<State>()) {
    std::error_code ec;
    state_->mtime = std::filesystem::last_write_time(path_, ec);
    options_.overrides = LoadPolicyFile(path_);
    state_->policy = std::make_shared<const RulePolicy>(defaults_, options_);
}

FilePolicy::~FilePolicy() = default;

bool FilePolicy::Refresh() const {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(path_, ec);
    std::lock_guard lock(state_->mutex);
    if (ec || mtime == state_->mtime) return false;
    state_->mtime = mtime;  // a bad file is reported once, not on every check
    auto& log = log::Get("nova.policy");
    try {
        auto options = options_;
        options.overrides = LoadPolicyFile(path_);
        state_->policy = std::make_shared<const RulePolicy>(defaults_, options);
        NOVA_LOG_INFO(log, log::kNoContext, "Policy file {} changed: {} rule(s) override the defaults", path_,
                      options.overrides.size());
        return true;
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(log, log::kNoContext, "Policy file {} changed but is not used (the rules in force stay): {}",
                       path_, e.what());
        return false;
    }
}

bool FilePolicy::Allowed(const RequestContext& context, std::string_view rule, const Json& target) const {
    Refresh();
    std::shared_ptr<const RulePolicy> policy;
    {
        std::lock_guard lock(state_->mutex);
        policy = state_->policy;
    }
    return policy->Allowed(context, rule, target);
}

bool FilePolicy::IsRegistered(std::string_view rule) const {
    std::shared_ptr<const RulePolicy> policy;
    {
        std::lock_guard lock(state_->mutex);
        policy = state_->policy;
    }
    return policy->IsRegistered(rule);
}

}  // namespace nova::api
