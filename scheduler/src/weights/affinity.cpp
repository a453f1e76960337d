// Nova's ServerGroupSoftAffinityWeigher / ServerGroupSoftAntiAffinityWeigher: the number of
// the request's server group members on the host, counted for (soft-affinity) or against
// (soft-anti-affinity) it.
#include "all_weighers.hpp"

namespace nova::scheduler::weights {

namespace {

double MembersOnHost(const HostState& h, const objects::RequestSpec& spec, std::string_view policy) {
    if (!spec.has_instance_group()) return 0;
    const auto& group = spec.instance_group();
    if (!group.has_policy() || group.policy() != policy) return 0;
    double n = 0;
    for (const auto& m : group.members()) n += h.instances.contains(m) ? 1 : 0;
    return n;
}

class SoftAffinityWeigher final : public HostWeigher {
public:
    explicit SoftAffinityWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "ServerGroupSoftAffinityWeigher"; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "soft_affinity_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec& spec) const override {
        return MembersOnHost(h, spec, "soft-affinity");
    }

private:
    double multiplier_;
};

class SoftAntiAffinityWeigher final : public HostWeigher {
public:
    explicit SoftAntiAffinityWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "ServerGroupSoftAntiAffinityWeigher"; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "soft_anti_affinity_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec& spec) const override {
        return -1 * MembersOnHost(h, spec, "soft-anti-affinity");
    }

private:
    double multiplier_;
};

}  // namespace

std::unique_ptr<HostWeigher> MakeServerGroupSoftAffinityWeigher(const Options& o) {
    return std::make_unique<SoftAffinityWeigher>(o.soft_affinity_weight_multiplier);
}
std::unique_ptr<HostWeigher> MakeServerGroupSoftAntiAffinityWeigher(const Options& o) {
    return std::make_unique<SoftAntiAffinityWeigher>(o.soft_anti_affinity_weight_multiplier);
}

}  // namespace nova::scheduler::weights
