// Nova's BuildFailureWeigher: hosts with recent build failures (the compute's failed_builds
// stat) lose weight; the multiplier is negated, as in Nova.
#include "all_weighers.hpp"

namespace nova::scheduler::weights {

namespace {
class BuildFailureWeigher final : public HostWeigher {
public:
    explicit BuildFailureWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "BuildFailureWeigher"; }
    double Multiplier(const HostState& h) const override {
        return -1 * WeightMultiplier(h, "build_failure_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec&) const override {
        return static_cast<double>(h.failed_builds);
    }

private:
    double multiplier_;
};
}  // namespace

std::unique_ptr<HostWeigher> MakeBuildFailureWeigher(const Options& o) {
    return std::make_unique<BuildFailureWeigher>(o.build_failure_weight_multiplier);
}

}  // namespace nova::scheduler::weights
