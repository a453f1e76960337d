// Nova's ram.py, cpu.py, disk.py and io_ops.py weighers: spread by free RAM, free vCPUs
// (vcpus_total * cpu_allocation_ratio - vcpus_used), free disk; prefer fewer I/O operations
// (the io_ops multiplier is negative by default).
#include "all_weighers.hpp"

namespace nova::scheduler::weights {

namespace {

class RAMWeigher final : public HostWeigher {
public:
    explicit RAMWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "RAMWeigher"; }
    std::optional<double> MinVal() const override { return 0.0; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "ram_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec&) const override {
        return static_cast<double>(h.free_ram_mb);
    }

private:
    double multiplier_;
};

class CPUWeigher final : public HostWeigher {
public:
    explicit CPUWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "CPUWeigher"; }
    std::optional<double> MinVal() const override { return 0.0; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "cpu_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec&) const override {
        return static_cast<double>(h.vcpus_total) * h.cpu_allocation_ratio -
               static_cast<double>(h.vcpus_used);
    }

private:
    double multiplier_;
};

class DiskWeigher final : public HostWeigher {
public:
    explicit DiskWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "DiskWeigher"; }
    std::optional<double> MinVal() const override { return 0.0; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "disk_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec&) const override {
        return static_cast<double>(h.free_disk_mb);
    }

private:
    double multiplier_;
};

class IoOpsWeigher final : public HostWeigher {
public:
    explicit IoOpsWeigher(double m) : multiplier_(m) {}
    std::string_view Name() const override { return "IoOpsWeigher"; }
    std::optional<double> MinVal() const override { return 0.0; }
    double Multiplier(const HostState& h) const override {
        return WeightMultiplier(h, "io_ops_weight_multiplier", multiplier_);
    }
    double Weigh(const HostState& h, const objects::RequestSpec&) const override {
        return static_cast<double>(h.num_io_ops);
    }

private:
    double multiplier_;
};

}  // namespace

std::unique_ptr<HostWeigher> MakeRAMWeigher(const Options& o) {
    return std::make_unique<RAMWeigher>(o.ram_weight_multiplier);
}
std::unique_ptr<HostWeigher> MakeCPUWeigher(const Options& o) {
    return std::make_unique<CPUWeigher>(o.cpu_weight_multiplier);
}
std::unique_ptr<HostWeigher> MakeDiskWeigher(const Options& o) {
    return std::make_unique<DiskWeigher>(o.disk_weight_multiplier);
}
std::unique_ptr<HostWeigher> MakeIoOpsWeigher(const Options& o) {
    return std::make_unique<IoOpsWeigher>(o.io_ops_weight_multiplier);
}

}  // namespace nova::scheduler::weights
