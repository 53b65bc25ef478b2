// Tests protocol/stun_query against a real STUN server: coturn's turnserver, started on loopback
// as a process in STUN-only mode; and against a port where nothing listens.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "protocol/stun_query.hpp"
#include "tests/support/coturn.hpp"
#include "tests/support/process.hpp"

using namespace meshcall;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

Address address(const char* ip, int port) {
    Resolved r = resolve_udp(ip, static_cast<uint16_t>(port));
    REQUIRE(r.address);
    return *r.address;
}

// A UDP socket bound to `ip`:`port`, or -1.
int bound_socket(const Address& local) {
    const int fd = socket(local.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, local.sa(), local.length) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// Starts coturn on `ip`, waits until it answers, then asks it where a socket bound to
// `ip`:X is: it must be `ip`:X.
void check_mapped_address_from_coturn(const char* ip) {
    test::TempDir dir;
    test::Coturn coturn(dir, ip);
    REQUIRE_MESSAGE(coturn.wait_ready(10s),
                    "turnserver did not answer in 10 s; its log:\n"
                        << coturn.log());

    const Address local = address(ip, test::free_udp_port());
    Fd client{bound_socket(local)};
    REQUIRE(client.fd >= 0);
    std::string error;
    const auto start = Clock::now();
    const auto mapped = stun_query(client.fd, coturn.server(), 2s, error);
    INFO("turnserver's log:\n" << coturn.log());
    REQUIRE_MESSAGE(mapped, error);
    CHECK(mapped->to_string() == local.to_string());
    CHECK(*mapped == local);
    CHECK(Clock::now() - start < 500ms);  // the first request's answer, not a retransmission's
}

bool can_bind_ipv6_loopback() {
    Fd fd{bound_socket(address("::1", 0))};
    return fd.fd >= 0;
}

}  // namespace

TEST_CASE(
    "stun interop: coturn on 127.0.0.1 tells a socket bound to 127.0.0.1:X it is 127.0.0.1:X") {
    REQUIRE_MESSAGE(test::have_program("turnserver"),
                    "coturn is missing: scripts/setup installs it");
    check_mapped_address_from_coturn("127.0.0.1");
}

TEST_CASE("stun interop: coturn on ::1 tells a socket bound to [::1]:X it is [::1]:X") {
    REQUIRE_MESSAGE(test::have_program("turnserver"),
                    "coturn is missing: scripts/setup installs it");
    if (!can_bind_ipv6_loopback()) {
        test::skip_test("no IPv6 loopback (::1) here");
        return;
    }
    check_mapped_address_from_coturn("::1");
}

TEST_CASE("stun interop: a port where nothing listens gives no address and says so within 1 s") {
    Fd client{bound_socket(address("127.0.0.1", 0))};
    REQUIRE(client.fd >= 0);
    const int silent = test::free_udp_port();  // bound and closed again: nothing listens there
    std::string error;
    const auto start = Clock::now();
    const auto mapped = stun_query(client.fd, address("127.0.0.1", silent), 1s, error);
    const auto took = Clock::now() - start;
    CHECK_FALSE(mapped);
    const std::string expected = "no answer from 127.0.0.1:" + std::to_string(silent) + " in 1 s";
    CHECK(error.substr(0, expected.size()) == expected);
    CHECK(took >= 1s);
    CHECK(took < 1500ms);
}
