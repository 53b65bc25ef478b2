// Learned endpoints end to end (README, "Calling over the internet"): real meshcalld processes
// on loopback; a relay in the test stands in for bob's NAT (alice's room file does not know
// bob's address; she learns where his authenticated datagrams come from), and can rebind his
// mapped port mid-call (roaming). A socket of the test plays the spoofer.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "tests/support/coturn.hpp"
#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

uint64_t frames(Daemon& d, const std::string& peer) {
    return d.peer(peer).value("video_frames", uint64_t{0});
}

int local_port(int fd) {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    return ntohs(a.sin_port);
}

int receive_from(int fd, std::vector<uint8_t>& buf, int& from_port) {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    const ssize_t got =
        recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&a), &n);
    from_port = ntohs(a.sin_port);
    return static_cast<int>(got);
}

// bob behind a NAT: bob's room lists alice at the relay's inside socket; what bob sends there
// leaves from the "mapped" socket to alice, and what alice sends to the mapped socket goes
// back to bob. rebind() gives bob a new mapped port (a NAT that lost its mapping).
class NatRelay {
  public:
    NatRelay(int alice_port, int bob_port)
        : alice_port_(alice_port), bob_port_(bob_port), inside_(bound_udp(0)), mapped_(bound_udp(0)) {
        if (inside_ < 0 || mapped_ < 0) throw std::runtime_error("relay: cannot bind");
        thread_ = std::thread([this] { run(); });
    }
    ~NatRelay() {
        stop_ = true;
        thread_.join();
        close(inside_);
        std::lock_guard lock(mutex_);
        close(mapped_);
    }
    int inside_port() const { return local_port(inside_); }
    int mapped_port() {
        std::lock_guard lock(mutex_);
        return local_port(mapped_);
    }
    void rebind() {
        const int fresh = bound_udp(0);
        std::lock_guard lock(mutex_);
        close(mapped_);
        mapped_ = fresh;
    }
    // From now on, keeps the first 200 datagrams bob sends alice, as they leave the relay.
    void start_capture() {
        std::lock_guard lock(mutex_);
        capturing_ = true;
    }
    std::vector<std::vector<uint8_t>> captured() {
        std::lock_guard lock(mutex_);
        return captured_;
    }

  private:
    void run() {
        std::vector<uint8_t> buf(2048);
        const auto deadline = std::chrono::steady_clock::now() + 90s;
        while (!stop_ && std::chrono::steady_clock::now() < deadline) {
            int mapped;
            {
                std::lock_guard lock(mutex_);
                mapped = mapped_;
            }
            pollfd fds[2] = {{inside_, POLLIN, 0}, {mapped, POLLIN, 0}};
            if (poll(fds, 2, 20) <= 0) continue;
            std::lock_guard lock(mutex_);
            if (mapped != mapped_) continue;  // rebound meanwhile
            int from = 0, n;
            while ((n = receive_from(inside_, buf, from)) > 0) {
                send_udp(mapped_, alice_port_, buf.data(), static_cast<std::size_t>(n));
                if (capturing_ && captured_.size() < 200)
                    captured_.emplace_back(buf.begin(), buf.begin() + n);
            }
            while ((n = receive_from(mapped_, buf, from)) > 0)
                if (from == alice_port_)  // a NAT passes only what answers its mapping
                    send_udp(inside_, bob_port_, buf.data(), static_cast<std::size_t>(n));
        }
    }

    int alice_port_, bob_port_;
    int inside_, mapped_;
    std::mutex mutex_;
    std::vector<std::vector<uint8_t>> captured_;
    bool capturing_ = false;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// alice knows nobody's address but her own; bob's room lists alice at the relay.
struct NattedCall {
    explicit NattedCall(const TempDir& dir)
        : alice_port(free_udp_port()),
          bob_port(free_udp_port()),
          secret(random_secret()),
          relay(alice_port, bob_port) {
        const std::vector<TestPeer> alice_view = {{"alice", alice_port},
                                                  {"bob", bob_port, "", {{"host", nullptr}}}};
        const std::vector<TestPeer> bob_view = {{"alice", relay.inside_port()}, {"bob", bob_port}};
        const TestRoom a = write_room(dir, "alice.json", "natted", alice_view, 320, 240, 400,
                                      sealed_room(secret));
        const TestRoom b = write_room(dir, "bob.json", "natted", bob_view, 320, 240, 400,
                                      sealed_room(secret));
        alice = std::make_unique<Daemon>(dir, a, "alice");
        bob = std::make_unique<Daemon>(dir, b, "bob");
    }
    bool ready() {
        return alice->wait_ready() && bob->wait_ready() &&
               wait_until([&] { return frames(*alice, "bob") > 10 && frames(*bob, "alice") > 10; },
                          10s);
    }
    int alice_port, bob_port;
    std::string secret;
    NatRelay relay;
    std::unique_ptr<Daemon> alice, bob;
};

std::string loopback(int port) {
    return "127.0.0.1:" + std::to_string(port);
}

// Whether `d`'s status lists `endpoint` among its external endpoints, found `via`.
bool sees_itself_at(Daemon& d, const std::string& endpoint, const std::string& via) {
    const auto s = d.status();
    if (!s) return false;
    const json seen = (*s)["external_endpoints"];  // (a range-for over a temporary's member dangles)
    for (const auto& e : seen)
        if (e["via"] == via && e["endpoint"] == endpoint) return true;
    return false;
}

}  // namespace

TEST_CASE("endpoints: a participant with no host in the room file is learned from its first "
          "authenticated datagram") {
    TempDir dir;
    NattedCall call(dir);
    REQUIRE(call.ready());
    const json p = call.alice->peer("bob");
    INFO(p.dump());
    CHECK(p["address"].is_null());
    CHECK(p["endpoint"] == loopback(call.relay.mapped_port()));
    CHECK(p["endpoint_via"] == "learned");
    CHECK(p["endpoint_moves"] == 0);  // learning the first one is not a move
    CHECK(p["state"] == "connected");
    CHECK(p["auth_failed"] == 0);
    // bob sees where alice hears him: his own mapped endpoint, reported by her.
    CHECK(wait_until(
        [&] { return sees_itself_at(*call.bob, loopback(call.relay.mapped_port()), "peer:alice"); },
        3s));
}

TEST_CASE("endpoints: a peer whose NAT gives it a new port mid-call is followed at once") {
    TempDir dir;
    NattedCall call(dir);
    REQUIRE(call.ready());
    call.relay.rebind();
    const auto rebound = std::chrono::steady_clock::now();
    const uint64_t to_bob = frames(*call.bob, "alice"), to_alice = frames(*call.alice, "bob");
    // Both ways: alice decodes bob from his new port, and sends to it (else bob hears nothing).
    CHECK(wait_until(
        [&] {
            return frames(*call.bob, "alice") > to_bob + 5 &&
                   frames(*call.alice, "bob") > to_alice + 5;
        },
        3s));
    MESSAGE("both ways again "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - rebound)
                   .count()
            << " ms after the rebinding");
    const json p = call.alice->peer("bob");
    INFO(p.dump());
    CHECK(p["endpoint"] == loopback(call.relay.mapped_port()));
    CHECK(p["endpoint_moves"] == 1);
    CHECK(p["state"] == "connected");
}

TEST_CASE("endpoints: forged and replayed datagrams from a new address move nothing and count "
          "as unlisted") {
    TempDir dir;
    NattedCall call(dir);
    REQUIRE(call.ready());
    const json before = call.alice->peer("bob");
    const uint64_t unlisted0 = (*call.alice->status())["dropped_unlisted"].get<uint64_t>();
    const int spoofer = bound_udp(0);
    REQUIRE(spoofer >= 0);
    // Forgeries: sealed headers that name bob (index 1), random bodies.
    std::mt19937 rng(7);
    for (int i = 0; i < 40; ++i) {
        std::vector<uint8_t> d(200 + rng() % 1000);
        for (auto& b : d) b = static_cast<uint8_t>(rng());
        d[0] = i % 2 ? 0xE5 : 0xE4;
        d[1] = 1;
        send_udp(spoofer, call.alice_port, d.data(), d.size());
    }
    // Replays: bob's real datagrams, which alice has had, sent again from elsewhere.
    call.relay.start_capture();
    REQUIRE(wait_until([&] { return call.relay.captured().size() >= 40; }, 5s));
    const auto real = call.relay.captured();
    for (std::size_t i = 0; i < 40; ++i)
        send_udp(spoofer, call.alice_port, real[i].data(), real[i].size());
    CHECK(wait_until(
        [&] {
            return (*call.alice->status())["dropped_unlisted"].get<uint64_t>() >= unlisted0 + 80;
        },
        3s));
    close(spoofer);
    MESSAGE("dropped_unlisted +"
            << (*call.alice->status())["dropped_unlisted"].get<uint64_t>() - unlisted0);
    const json after = call.alice->peer("bob");
    INFO(after.dump());
    CHECK(after["endpoint"] == before["endpoint"]);
    CHECK(after["endpoint_moves"] == before["endpoint_moves"]);
    CHECK(after["auth_failed"] == before["auth_failed"]);  // not counted against bob
    const uint64_t f0 = frames(*call.bob, "alice");
    CHECK(wait_until([&] { return frames(*call.bob, "alice") > f0 + 10; }, 3s));
}

TEST_CASE("endpoints: two members who know only a third learn each other's endpoints from it") {
    TempDir dir;
    const std::vector<TestPeer> peers = {{"alice", free_udp_port()},
                                         {"bob", free_udp_port(), "", {{"host", nullptr}}},
                                         {"carol", free_udp_port(), "", {{"host", nullptr}}}};
    const TestRoom room =
        write_room(dir, "three.json", "introduced", peers, 320, 240, 400, sealed_room(random_secret()));
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob"), carol(dir, room, "carol");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(carol.wait_ready());
    const auto started = std::chrono::steady_clock::now();
    CHECK(wait_until([&] { return frames(bob, "carol") > 5 && frames(carol, "bob") > 5; }, 10s));
    MESSAGE("bob and carol decode each other "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms after all three answered");
    const json p = bob.peer("carol");
    INFO(p.dump());
    CHECK(p["endpoint"] == loopback(room.port_of("carol")));
    // Neither knew the other's address: the one that probed first (where alice reported the
    // other) found it "introduced"; the other may have heard the probe before any report.
    const json q = carol.peer("bob");
    CHECK((p["endpoint_via"] == "introduced" || q["endpoint_via"] == "introduced"));
    CHECK(q["endpoint"] == loopback(room.port_of("bob")));
    CHECK(p["state"] == "connected");
}

TEST_CASE("endpoints: a peer with no host and the wrong secret shows as cannot-authenticate") {
    TempDir dir;
    const int alice_port = free_udp_port(), bob_port = free_udp_port();
    const TestRoom a = write_room(dir, "alice.json", "wrong", {{"alice", alice_port},
                                  {"bob", bob_port, "", {{"host", nullptr}}}},
                                  320, 240, 400, sealed_room(random_secret()));
    const TestRoom b = write_room(dir, "bob.json", "wrong", {{"alice", alice_port}, {"bob", bob_port}},
                                  320, 240, 400, sealed_room(random_secret()));
    Daemon alice(dir, a, "alice"), bob(dir, b, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    CHECK(wait_until([&] { return alice.peer("bob")["state"] == "cannot-authenticate"; }, 3s));
    const json p = alice.peer("bob");
    INFO(p.dump());
    CHECK(p["endpoint"].is_null());  // nothing moved
    CHECK(p["auth_failed"].get<uint64_t>() > 0);
    CHECK(wait_until(
        [&] { return alice.log_text().find("do not authenticate") != std::string::npos; }, 2s));
}

TEST_CASE("endpoints: a STUN server in the room file tells meshcalld its public endpoint, which "
          "it reports to the members") {
    TempDir dir;
    Coturn coturn(dir, "127.0.0.1");
    REQUIRE_MESSAGE(coturn.wait_ready(10s), "turnserver did not answer; its log:\n" << coturn.log());
    const std::vector<TestPeer> peers = {{"alice", free_udp_port()}, {"bob", free_udp_port()}};
    json extra = sealed_room(random_secret());
    extra["stun"] = {"127.0.0.1:" + std::to_string(coturn.port())};
    const TestRoom room = write_room(dir, "stun.json", "stunned", peers, 320, 240, 400, extra);
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    const std::string via = "stun:127.0.0.1:" + std::to_string(coturn.port());
    CHECK(wait_until([&] { return sees_itself_at(alice, loopback(room.port_of("alice")), via); },
                     3s));
    CHECK(wait_until([&] { return alice.log_text().find("sees this call at") != std::string::npos; },
                     2s));
    // The STUN answers are not peers' datagrams.
    CHECK((*alice.status())["dropped_unlisted"] == 0);
}
