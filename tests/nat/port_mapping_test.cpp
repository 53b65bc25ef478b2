// Tests nat/port_mapping where no router helps: with no gateway at all, and with a gateway that
// never answers, map_udp_port fails within its bound and says, in words, what each method met.
// (A real router, miniupnpd, is tests/net/portmap_test.py's.)
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "nat/port_mapping.hpp"
#include "tests/support/network_namespace.hpp"
#include "tests/support/process.hpp"

using namespace meshcall;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// What an attempt may take beyond its bound: scheduling on a busy 2-core machine, the
// sanitizers.
constexpr auto kSlack = 400ms;
constexpr auto kTimeout = 3000ms;

}  // namespace

TEST_CASE("map_udp_port with no router at all fails within its bound, naming both methods") {
    if (const std::string why = test::enter_network_namespace(false); !why.empty()) {
        test::skip_test(why);
        return;
    }
    const std::size_t fds = open_fds();
    const auto start = Clock::now();
    const PortMappingAttempt a = map_udp_port(41310, 60, kTimeout);
    const auto took = since(start);
    CHECK(open_fds() == fds);  // every socket closed, the failed ones too
    INFO("error: ", a.error);
    MESSAGE("no router: failed after ", took.count(), " ms: ", a.error);
    CHECK(!a.mapping);
    CHECK(took <= kTimeout + kSlack);
    CHECK(took <= 100ms + kSlack);  // nothing to wait for: no route anywhere
    CHECK(contains(a.error, "NAT-PMP: no default gateway"));
    CHECK(contains(a.error, "; UPnP: no IGD found (no route for SSDP's multicast"));
}

TEST_CASE("map_udp_port toward a gateway that never answers gives up on time, saying so") {
    if (const std::string why = test::enter_network_namespace(true); !why.empty()) {
        test::skip_test(why);
        return;
    }
    const std::size_t fds = open_fds();
    const auto start = Clock::now();
    const PortMappingAttempt a = map_udp_port(41310, 60, kTimeout);
    const auto took = since(start);
    CHECK(open_fds() == fds);
    INFO("error: ", a.error);
    MESSAGE("silent gateway: failed after ", took.count(), " ms: ", a.error);
    CHECK(!a.mapping);
    CHECK(took <= kTimeout + kSlack);
    // NAT-PMP gets a third of the bound, then UPnP's discovery its 1 s.
    CHECK(contains(a.error,
                   std::string("NAT-PMP: no answer from ") + test::kSilentGateway + " in 1 s"));
    CHECK(contains(a.error, "; UPnP: no IGD found (no answer to SSDP in 1 s)"));
}

TEST_CASE("map_udp_port ends early when asked to stop") {
    if (const std::string why = test::enter_network_namespace(true); !why.empty()) {
        test::skip_test(why);
        return;
    }
    std::stop_source stop;
    stop.request_stop();
    const auto start = Clock::now();
    const PortMappingAttempt a = map_udp_port(41310, 60, kTimeout, stop.get_token());
    const auto took = since(start);
    INFO("error: ", a.error);
    CHECK(!a.mapping);
    CHECK(took <= 100ms + kSlack);
    CHECK(contains(a.error, "NAT-PMP: stopped"));
    CHECK(contains(a.error, "UPnP: not tried (stopped)"));
}

TEST_CASE("removing or renewing a mapping on a router that never answers fails on time") {
    if (const std::string why = test::enter_network_namespace(true); !why.empty()) {
        test::skip_test(why);
        return;
    }
    PortMapping m;
    m.via = "nat-pmp";
    m.gateway = test::kSilentGateway;
    m.lifetime_s = 60;
    auto start = Clock::now();
    std::string why;
    CHECK(!unmap_udp_port(m, 41310, 1000ms, &why));
    CHECK(since(start) <= 1000ms + kSlack);
    CHECK(why == std::string("NAT-PMP: no answer from ") + test::kSilentGateway + " in 1 s");

    start = Clock::now();
    const PortMappingAttempt renewed = renew_udp_port(m, 41310, 60, 500ms);
    CHECK(!renewed.mapping);
    CHECK(since(start) <= 500ms + kSlack);
    CHECK(contains(renewed.error, "NAT-PMP: no answer from "));

    // UPnP goes to the router it found before, without discovery: nobody at 10.99.0.1 takes the
    // TCP connection (miniupnpc alone would wait 3 s for it).
    m.via = "upnp";
    m.upnp_url = std::string("http://") + test::kSilentGateway + ":5000/rootDesc.xml";
    start = Clock::now();
    CHECK(!unmap_udp_port(m, 41310, 1000ms, &why));
    CHECK(since(start) <= 1000ms + kSlack);
    CHECK(why == std::string("UPnP: no answer from ") + test::kSilentGateway + " in 1 s");
}
