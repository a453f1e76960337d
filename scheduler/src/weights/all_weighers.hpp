#pragma once
// Constructors of the weighers, one file per Nova weights module; weights.cpp tables them.
#include <memory>

#include "nova/scheduler/weights.hpp"

namespace nova::scheduler::weights {

using Options = conf::FilterSchedulerOptions;
std::unique_ptr<HostWeigher> MakeRAMWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeCPUWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeDiskWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeIoOpsWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeBuildFailureWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeServerGroupSoftAffinityWeigher(const Options& o);
std::unique_ptr<HostWeigher> MakeServerGroupSoftAntiAffinityWeigher(const Options& o);

}  // namespace nova::scheduler::weights
