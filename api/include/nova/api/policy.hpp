#pragma once
// The one place that answers "may this context do rule X to target T" (Nova's
// context.can()). Handlers name a rule; the Policy decides.
//
// RulePolicy is oslo.policy's engine over Nova's rules: check strings such as
// "rule:project_member_or_admin", "role:admin", "is_admin:True",
// "project_id:%(project_id)s", "@", "!", combined with and / or / not and parentheses. With
// enforce_new_defaults off (Zed's default), a rule that replaced a deprecated one passes when
// either the new or the deprecated check string passes, as oslo.policy does; that is how the
// noauth2 user "admin" (is_admin, no roles) passes admin rules, and a project's users pass
// owner rules. Keystone roles and policy files (issue #9) plug in here: overrides replace a
// rule's check string.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::api {

class Policy {
public:
    Policy() = default;
    Policy(const Policy&) = delete;
    Policy& operator=(const Policy&) = delete;
    virtual ~Policy() = default;

    virtual bool Allowed(const RequestContext& context, std::string_view rule,
                         const Json& target) const = 0;
    virtual bool IsRegistered(std::string_view rule) const = 0;

    // Throws PolicyNotAuthorized ("Policy doesn't allow <rule> to be performed.").
    void Authorize(const RequestContext& context, std::string_view rule, const Json& target) const;
    // With Nova's default target: the context's own project and user.
    void Authorize(const RequestContext& context, std::string_view rule) const;

    static Json DefaultTarget(const RequestContext& context);
};

// A rule as Nova registers it: name, default check string, and the check string of the
// rule it deprecated (empty when none).
struct RuleDefault {
    std::string name;
    std::string check;
    std::string deprecated_check;
};

// Nova Zed's registered policy rules (nova/policies, 26.x), base rules included.
const std::vector<RuleDefault>& ZedDefaultRules();

class RulePolicy final : public Policy {
public:
    struct Options {
        bool enforce_new_defaults = false;        // [oslo_policy] enforce_new_defaults
        std::map<std::string, std::string> overrides{};  // rule name -> check string
    };

    // Throws std::invalid_argument when a check string does not parse.
    explicit RulePolicy(const std::vector<RuleDefault>& rules, Options options);
    explicit RulePolicy(const std::vector<RuleDefault>& rules) : RulePolicy(rules, Options{}) {}
    ~RulePolicy() override;

    bool Allowed(const RequestContext& context, std::string_view rule,
                 const Json& target) const override;
    bool IsRegistered(std::string_view rule) const override;

    struct Check;

private:
    std::map<std::string, std::unique_ptr<Check>, std::less<>> rules_;
};

// RulePolicy over a policy file that is read again when its modification time changes, as
// oslo.policy does (it compares the file's mtime on each check), so an operator's edit takes
// effect without a restart. A file that no longer reads or parses keeps the rules in force
// (logged once per change).
class FilePolicy final : public Policy {
public:
    // Throws std::invalid_argument when the file does not load now.
    FilePolicy(std::vector<RuleDefault> rules, RulePolicy::Options options, std::string path);
    ~FilePolicy() override;

    bool Allowed(const RequestContext& context, std::string_view rule, const Json& target) const override;
    bool IsRegistered(std::string_view rule) const override;
    // Reads the file again when its mtime changed; true when new rules took effect.
    bool Refresh() const;

private:
    struct State;
    std::vector<RuleDefault> defaults_;
    RulePolicy::Options options_;
    std::string path_;
    std::unique_ptr<State> state_;
};

// An oslo.policy file's rules (rule name -> check string), from JSON or YAML text. Throws
// std::invalid_argument when the text is not a mapping of strings.
std::map<std::string, std::string> ParsePolicyFile(const std::string& text);
// The same from a file; also checks that every check string parses. Throws
// std::invalid_argument naming the file.
std::map<std::string, std::string> LoadPolicyFile(const std::string& path);

// Project isolation (Nova's nova.context.is_user_context and the DB API's project_only
// filter): a context that is not admin and has a user and a project sees only its own
// project's rows; a row of another project must look absent (NotFound, 404), not forbidden.
bool IsUserContext(const RequestContext& context);
bool ProjectVisible(const RequestContext& context, std::string_view project_id);

}  // namespace nova::api
