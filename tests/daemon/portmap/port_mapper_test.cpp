// Tests daemon/portmap/port_mapper where no router answers: start() returns at once, the
// failure is published in words, stop() ends an attempt in progress promptly and joins.
// (Mapping, renewal and removal on a real router: tests/net/portmap_test.py, through
// tests/nat/portmap_driver.)
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "daemon/portmap/port_mapper.hpp"
#include "tests/support/network_namespace.hpp"
#include "tests/support/process.hpp"

using namespace meshcall;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}
}  // namespace

TEST_CASE("PortMapper: start returns at once, a failure is published, stop ends it promptly") {
    if (const std::string why = test::enter_network_namespace(true); !why.empty()) {
        test::skip_test(why);
        return;
    }
    PortMapper::Timing timing;
    timing.retry_after = 100ms;  // attempts back to back, so that stop() meets one
    PortMapper mapper(timing);
    auto start = Clock::now();
    mapper.start(41310);
    CHECK(since(start) <= 50ms);  // joining a call never waits for the router
    CHECK(!mapper.current());

    // The first attempt: NAT-PMP's third of 3 s, then SSDP's 1 s.
    REQUIRE(test::wait_until([&] { return !mapper.last_error().empty(); }, 4000ms));
    const std::string error = mapper.last_error();
    INFO("last_error: ", error);
    CHECK(error.find("NAT-PMP: no answer from") != std::string::npos);
    CHECK(error.find("UPnP: no IGD found") != std::string::npos);
    CHECK(!mapper.current());

    // The next attempt starts 100 ms later and waits 1 s on NAT-PMP: stop() meets it there and
    // abandons it at its next 50 ms poll (an SSDP wait would run out its 1 s), then joins.
    std::this_thread::sleep_for(400ms);
    start = Clock::now();
    mapper.stop();
    const auto took = since(start);
    MESSAGE("stop() took ", took.count(), " ms, in: ", mapper.last_error());
    CHECK(took <= 1500ms);
    CHECK(!mapper.current());
    mapper.stop();  // idempotent
}

TEST_CASE("PortMapper: stop() without start() and the destructor do nothing harmful") {
    {
        PortMapper never_started;
        never_started.stop();
        CHECK(!never_started.current());
        CHECK(never_started.last_error().empty());
    }
    PortMapper after_stop;
    after_stop.stop();
    after_stop.start(41310);  // refused: a stopped mapper stays stopped
    CHECK(!after_stop.current());
}
