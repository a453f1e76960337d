#pragma once
// A burst of deliveries handed to consumers by a transport in one go (everything one read of the
// socket produced). While a burst is open on a thread, work that would wake another thread per
// message can defer the wake-up to the end of the burst: the server's WorkQueue posts the
// burst's requests and wakes one worker once, not one per request. Private to nova::rpc.
#include <functional>
#include <memory>
#include <vector>

namespace nova::rpc {

class DeliveryBurst {
public:
    DeliveryBurst();   // opens a burst on this thread (an inner one joins the open burst)
    ~DeliveryBurst();  // the outermost one runs the deferred actions, in order
    DeliveryBurst(const DeliveryBurst&) = delete;
    DeliveryBurst& operator=(const DeliveryBurst&) = delete;

    // True while a burst is open on this thread.
    static bool Active();
    // Runs `action` when the open burst ends (requires Active()).
    static void Defer(std::function<void()> action);

private:
    bool outermost_;
};

}  // namespace nova::rpc
