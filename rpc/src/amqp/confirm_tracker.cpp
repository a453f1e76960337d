#include "confirm_tracker.hpp"

#include <algorithm>

#include "nova/common/error.hpp"

namespace nova::rpc {
namespace {

std::exception_ptr Refused() {
    return std::make_exception_ptr(
        MessageDeliveryFailure({{"reason", "the broker refused the message (basic.nack)"}}));
}

}  // namespace

std::uint64_t ConfirmTracker::Add(Done done) {
    const std::uint64_t tag = next_tag_++;
    entries_.push_back(Entry{tag, std::move(done)});
    ++outstanding_;
    return tag;
}

void ConfirmTracker::Settle(std::uint64_t tag, bool multiple, bool ack,
                            std::vector<Completion>& out) {
    auto settle = [&](Entry& entry) {
        if (entry.settled) return;
        entry.settled = true;
        --outstanding_;
        out.push_back(Completion{std::move(entry.done), ack ? nullptr : Refused()});
    };
    if (multiple) {
        for (auto& entry : entries_) {
            if (entry.tag > tag) break;
            settle(entry);
        }
    } else {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), tag,
                                   [](const Entry& e, std::uint64_t t) { return e.tag < t; });
        if (it != entries_.end() && it->tag == tag) settle(*it);
    }
    PopSettled();
}

void ConfirmTracker::Reset(const std::string& reason, std::vector<Completion>& out) {
    for (auto& entry : entries_) {
        if (entry.settled) continue;
        out.push_back(Completion{std::move(entry.done),
                                 std::make_exception_ptr(MessageDeliveryFailure({{"reason", reason}}))});
    }
    entries_.clear();
    outstanding_ = 0;
    next_tag_ = 1;
}

void ConfirmTracker::PopSettled() {
    while (!entries_.empty() && entries_.front().settled) entries_.pop_front();
}

}  // namespace nova::rpc
