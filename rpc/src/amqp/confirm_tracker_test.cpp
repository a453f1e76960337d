#include "confirm_tracker.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "nova/common/error.hpp"

namespace nova::rpc {
namespace {

// Publishes 1..n on a tracker; outcome[i] becomes "ok" or the error class once settled.
struct Harness {
    ConfirmTracker tracker;
    std::map<std::uint64_t, std::string> outcome;

    void Publish(int n) {
        for (int i = 0; i < n; ++i) {
            const std::uint64_t tag = tracker.next_tag();
            CHECK(tracker.Add([this, tag](std::exception_ptr error) {
                CHECK(outcome.count(tag) == 0);  // settled once
                if (!error) {
                    outcome[tag] = "ok";
                    return;
                }
                try {
                    std::rethrow_exception(error);
                } catch (const NovaError& e) {
                    outcome[tag] = std::string(e.class_name());
                }
            }) == tag);
        }
    }
    void Run(std::vector<Completion>& out) {
        for (auto& c : out) c();
        out.clear();
    }
};

TEST_CASE("confirms: a multiple=true ack settles every publish up to its tag") {
    Harness h;
    h.Publish(5);
    std::vector<Completion> out;
    h.tracker.Settle(3, /*multiple=*/true, /*ack=*/true, out);
    CHECK(out.size() == 3);
    h.Run(out);
    CHECK(h.outcome == std::map<std::uint64_t, std::string>{{1, "ok"}, {2, "ok"}, {3, "ok"}});
    CHECK(h.tracker.outstanding() == 2);
    h.tracker.Settle(5, true, true, out);
    h.Run(out);
    CHECK(h.outcome.size() == 5);
    CHECK(h.tracker.outstanding() == 0);
}

TEST_CASE("confirms: single acks out of order, repeats and unknown tags") {
    Harness h;
    h.Publish(4);
    std::vector<Completion> out;
    h.tracker.Settle(2, false, true, out);
    h.tracker.Settle(2, false, true, out);   // repeated: ignored
    h.tracker.Settle(99, false, true, out);  // never published: ignored
    h.Run(out);
    CHECK(h.outcome == std::map<std::uint64_t, std::string>{{2, "ok"}});
    // A multiple ack over an already settled tag settles only the rest.
    h.tracker.Settle(3, true, true, out);
    CHECK(out.size() == 2);
    h.Run(out);
    CHECK(h.outcome.size() == 3);
    CHECK(h.tracker.outstanding() == 1);
}

TEST_CASE("confirms: a nack in the middle of a batch fails exactly those casts") {
    Harness h;
    h.Publish(6);
    std::vector<Completion> out;
    h.tracker.Settle(2, true, true, out);    // 1, 2 ok
    h.tracker.Settle(4, true, false, out);   // 3, 4 refused
    h.tracker.Settle(5, false, false, out);  // 5 refused
    h.tracker.Settle(6, true, true, out);    // 6 ok
    h.Run(out);
    CHECK(h.outcome == std::map<std::uint64_t, std::string>{{1, "ok"},
                                                            {2, "ok"},
                                                            {3, "MessageDeliveryFailure"},
                                                            {4, "MessageDeliveryFailure"},
                                                            {5, "MessageDeliveryFailure"},
                                                            {6, "ok"}});
    CHECK(h.tracker.outstanding() == 0);
}

TEST_CASE("confirms: a lost channel fails what is unconfirmed and numbering starts over") {
    Harness h;
    h.Publish(3);
    std::vector<Completion> out;
    h.tracker.Settle(1, false, true, out);
    h.tracker.Reset("connection lost", out);
    h.Run(out);
    CHECK(h.outcome == std::map<std::uint64_t, std::string>{
                           {1, "ok"}, {2, "MessageDeliveryFailure"}, {3, "MessageDeliveryFailure"}});
    CHECK(h.tracker.outstanding() == 0);
    CHECK(h.tracker.next_tag() == 1);
    // An ack for a tag of the old channel settles nothing new.
    h.tracker.Settle(3, true, true, out);
    CHECK(out.empty());
}

}  // namespace
}  // namespace nova::rpc
