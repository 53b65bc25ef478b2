// Lost, duplicated and reordered Opus datagrams between two real meshcalld: the receiver
// conceals the lost ones, drops the duplicates and plays the overtaken ones in order. A relay
// in the test sits on the path (each daemon's room lists the relay's socket as the other), so
// every datagram is chosen by content, not luck.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

int bound_udp(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void send_to(int fd, int port, const std::vector<uint8_t>& d) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    (void)sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

// Does the datagram start an audio PES (private stream 1, as Opus in TS, or an MPEG audio id)?
bool starts_audio(const std::vector<uint8_t>& d) {
    for (std::size_t off = 0; off + 188 <= d.size(); off += 188) {
        const uint8_t* p = d.data() + off;
        if (p[0] != 0x47 || !(p[1] & 0x40)) continue;  // payload_unit_start
        std::size_t pos = 4;
        if (p[3] & 0x20) pos += 1 + p[4];  // adaptation field
        if (pos + 4 > 188) continue;
        if (p[pos] == 0 && p[pos + 1] == 0 && p[pos + 2] == 1 &&
            (p[pos + 3] == 0xBD || (p[pos + 3] & 0xE0) == 0xC0))
            return true;
    }
    return false;
}

}  // namespace

TEST_CASE("lost, duplicated and overtaken Opus datagrams: concealed, dropped, put back in order") {
    TempDir dir_a, dir_b;
    // alice's room lists bob at the relay's first socket; bob's lists alice at its second.
    TestRoom room_a = make_room(dir_a, "relayed", {"alice", "bob"});
    TestRoom room_b = make_room(dir_b, "relayed", {"alice", "bob"});
    int to_alice = bound_udp(room_a.port_of("bob")), to_bob = bound_udp(room_b.port_of("alice"));
    struct Closer {
        int fd;
        ~Closer() {
            if (fd >= 0) close(fd);
        }
    } close_a{to_alice}, close_b{to_bob};
    REQUIRE(to_alice >= 0);
    REQUIRE(to_bob >= 0);

    std::atomic<bool> stop{false}, impair{false};
    struct Joiner {  // the relay stops and is joined however the test ends
        std::atomic<bool>& stop;
        std::thread thread;
        ~Joiner() {
            stop = true;
            if (thread.joinable()) thread.join();
        }
    } relay{stop, {}};
    std::atomic<int> dropped{0}, duplicated{0}, reordered{0};
    relay.thread = std::thread([&] {
        std::vector<uint8_t> buf(65536);
        std::optional<std::vector<uint8_t>> held;  // an audio datagram waiting to be overtaken
        uint64_t audio = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!stop && std::chrono::steady_clock::now() < deadline) {
            pollfd fds[2] = {{to_alice, POLLIN, 0}, {to_bob, POLLIN, 0}};
            if (poll(fds, 2, 50) <= 0) continue;
            if (fds[1].revents & POLLIN) {  // bob -> alice, untouched
                const ssize_t n = recv(to_bob, buf.data(), buf.size(), 0);
                if (n >= 0)
                    send_to(to_alice, room_a.port_of("alice"), {buf.begin(), buf.begin() + n});
            }
            if (!(fds[0].revents & POLLIN)) continue;
            const ssize_t n = recv(to_alice, buf.data(), buf.size(), 0);
            if (n < 0) continue;
            std::vector<uint8_t> d(buf.begin(), buf.begin() + n);
            const int bob = room_b.port_of("bob");
            if (!impair || !starts_audio(d)) {
                send_to(to_bob, bob, d);
                continue;
            }
            // Of every 10 audio datagrams: one lost, one sent twice, one overtaken by the next.
            switch (audio++ % 10) {
                case 2:
                    ++dropped;
                    break;
                case 5:
                    send_to(to_bob, bob, d);
                    send_to(to_bob, bob, d);
                    ++duplicated;
                    break;
                case 8:
                    held = d;
                    break;
                default:
                    send_to(to_bob, bob, d);
                    if (held) {
                        send_to(to_bob, bob, *held);
                        held.reset();
                        ++reordered;
                    }
            }
        }
    });

    Daemon alice(dir_a, room_a, "alice"), bob(dir_b, room_b, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(wait_until([&] { return bob.peer("alice").value("audio_frames", 0) >= 50; }, 10s));
    const auto before = bob.peer("alice");
    CHECK(before["audio_concealed"] == 0);
    CHECK(before["audio_stale"] == 0);
    impair = true;
    CHECK(wait_until([&] { return dropped >= 8 && duplicated >= 8 && reordered >= 8; }, 10s));
    impair = false;
    // What arrived by then is played (or not) within the reorder wait.
    std::this_thread::sleep_for(200ms);
    const auto p = bob.peer("alice");
    INFO(p.dump());
    MESSAGE("relay: dropped " << dropped << ", duplicated " << duplicated << ", overtaken "
                              << reordered << "; bob: " << p.dump());
    stop = true;
    relay.thread.join();
    // Every loss concealed (a datagram may carry more than one packet: at least as many gaps),
    // every duplicate dropped, every overtaken packet put back, and the sound goes on.
    CHECK(p["audio_concealed"].get<int>() >= dropped.load());
    CHECK(p["audio_concealed_ms"].get<int>() >= 20 * dropped.load());
    CHECK(p["audio_stale"].get<int>() >= duplicated.load());
    CHECK(p["audio_reordered"].get<int>() >= reordered.load());
    CHECK(p["audio_frames"].get<int>() > before["audio_frames"].get<int>() + 50);
}
