#pragma once
// Host weighers (Nova's nova/scheduler/weights/*.py at Zed): each returns a raw weight per
// host; weights are normalized to [0, 1] per weigher (Nova's weights.normalize, honouring
// the weigher's minval/maxval), multiplied by the weigher's multiplier (which an aggregate's
// metadata key of the option's name overrides) and summed. Highest total wins.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nova/conf/scheduler.hpp"
#include "nova/objects/request_spec.pb.h"
#include "nova/scheduler/host_state.hpp"

namespace nova::scheduler {

class HostWeigher {
public:
    HostWeigher() = default;
    HostWeigher(const HostWeigher&) = delete;
    HostWeigher& operator=(const HostWeigher&) = delete;
    virtual ~HostWeigher() = default;

    virtual std::string_view Name() const = 0;
    virtual std::optional<double> MinVal() const { return std::nullopt; }
    virtual std::optional<double> MaxVal() const { return std::nullopt; }
    virtual double Multiplier(const HostState& host) const = 0;
    virtual double Weigh(const HostState& host, const objects::RequestSpec& spec) const = 0;
};

struct WeighedHost {
    HostState* host;
    double weight;
};

std::vector<std::string> AvailableWeigherNames();

// Names as in weight_classes: "RAMWeigher", "nova.scheduler.weights.ram.RAMWeigher", or
// "nova.scheduler.weights.all_weighers". ClassNotFound for anything else.
std::vector<std::unique_ptr<HostWeigher>> MakeWeighers(const std::vector<std::string>& names,
                                                       const conf::FilterSchedulerOptions& opts);

// Nova's get_weighed_objects: sorted by weight, highest first (stable for equal weights).
std::vector<WeighedHost> WeighHosts(const std::vector<std::unique_ptr<HostWeigher>>& weighers,
                                    const std::vector<HostState*>& hosts,
                                    const objects::RequestSpec& spec);

// Nova's weights.normalize.
std::vector<double> Normalize(const std::vector<double>& weights, std::optional<double> minval,
                              std::optional<double> maxval);

// Nova's get_weight_multiplier: the minimum of the float values the host's aggregates give
// `key`, else `config_value` (also when a value is not a number, logged).
double WeightMultiplier(const HostState& host, const std::string& key, double config_value);

}  // namespace nova::scheduler
