#pragma once
// Publisher confirms on one channel in confirm mode: which publish a basic.ack / basic.nack
// settles. The broker numbers the publishes of a channel 1, 2, 3, ... in the order they were
// sent; an ack or nack names one delivery tag, or with multiple=true every tag up to it.
// Not thread-safe: the transport holds its connection lock around every call.
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace nova::rpc {

// A publish callback with its outcome, run once the connection lock is released.
struct Completion {
    std::function<void(std::exception_ptr)> done;
    std::exception_ptr error;
    void operator()() {
        if (done) done(error);
    }
};

class ConfirmTracker {
public:
    using Done = std::function<void(std::exception_ptr)>;

    // Records the next publish on the channel; returns its delivery tag.
    std::uint64_t Add(Done done);
    // basic.ack (ack = true) or basic.nack for `tag`, every unsettled tag <= `tag` when
    // `multiple`. Appends the settled publishes to `out`: null error on an ack,
    // MessageDeliveryFailure on a nack. Unknown or already settled tags are ignored.
    void Settle(std::uint64_t tag, bool multiple, bool ack, std::vector<Completion>& out);
    // Fails every unsettled publish with MessageDeliveryFailure(reason), and starts numbering
    // from 1 again (a new channel or connection).
    void Reset(const std::string& reason, std::vector<Completion>& out);

    std::size_t outstanding() const { return outstanding_; }
    std::uint64_t next_tag() const { return next_tag_; }

private:
    struct Entry {
        std::uint64_t tag;
        Done done;
        bool settled = false;
    };
    void PopSettled();

    std::deque<Entry> entries_;  // ascending tags
    std::uint64_t next_tag_ = 1;
    std::size_t outstanding_ = 0;
};

}  // namespace nova::rpc
