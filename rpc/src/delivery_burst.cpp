#include "delivery_burst.hpp"

#include <utility>

namespace nova::rpc {
namespace {

struct BurstState {
    bool open = false;
    std::vector<std::function<void()>> deferred;
};

thread_local BurstState t_burst;

}  // namespace

DeliveryBurst::DeliveryBurst() : outermost_(!t_burst.open) { t_burst.open = true; }

DeliveryBurst::~DeliveryBurst() {
    if (!outermost_) return;
    // Deferred actions may open bursts or defer more; run until none is left.
    while (!t_burst.deferred.empty()) {
        auto actions = std::move(t_burst.deferred);
        t_burst.deferred.clear();
        t_burst.open = false;
        for (auto& action : actions) action();
    }
    t_burst.open = false;
}

bool DeliveryBurst::Active() { return t_burst.open; }

void DeliveryBurst::Defer(std::function<void()> action) { t_burst.deferred.push_back(std::move(action)); }

}  // namespace nova::rpc
