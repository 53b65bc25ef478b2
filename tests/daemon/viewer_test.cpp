// Viewers (stock players, "role": "viewer"): each participant's stream at the viewer's
// port + k, never backed off for silence, backed off while the network says the port is closed.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "tests/support/guest_room.hpp"
#include "tests/support/stock_player.hpp"
#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

uint64_t self_counter(Daemon& d, const char* field) {
    auto s = d.status();
    return s ? (*s)["self"].value(field, uint64_t{0}) : 0;
}

// Datagrams waiting on `fd`, read and counted.
int drain(int fd) {
    char buf[2048];
    int n = 0;
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) ++n;
    return n;
}

}  // namespace

TEST_CASE(
    "a listed viewer that never runs is backed off within 3 s of its ICMP errors, and gets "
    "everything again once its player starts") {
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}};
    peers.push_back(free_viewer("tv", 1, peers));
    const TestRoom room = write_room(dir, "icmp.json", "icmp", peers);
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    // Nobody listens at tv's port (+ 0, alice being peers[0]): loopback answers "port
    // unreachable" to each datagram.
    REQUIRE(wait_until([&] { return alice.peer("tv").value("unreachable_errors", 0) > 0; }, 5s));
    const auto first_error = std::chrono::steady_clock::now();
    REQUIRE(wait_until([&] { return alice.peer("tv")["backed_off"] == true; }, 3s));
    MESSAGE("backed off " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - first_error)
                                 .count()
                          << " ms after the first ICMP error");
    CHECK(alice.peer("tv")["unreachable"] == true);
    // Backed off: tv is alice's only receiver, so only presence leaves (two a second) instead
    // of some 80 datagrams a second of video and sound.
    const uint64_t tx0 = self_counter(alice, "tx_datagrams");
    std::this_thread::sleep_for(1s);  // the window measured, not a wait for a state
    const uint64_t sent = self_counter(alice, "tx_datagrams") - tx0;
    MESSAGE("datagrams sent in 1 s while backed off: " << sent);
    CHECK(sent <= 6);

    // The player starts: the errors stop, alice resumes and sends everything.
    const int player = bound_udp(room.port_of("tv"));
    REQUIRE(player >= 0);
    const auto started = std::chrono::steady_clock::now();
    CHECK(wait_until([&] { return alice.peer("tv")["backed_off"] == false; }, 3s));
    MESSAGE("resumed " << std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count()
                       << " ms after the player bound its port");
    int received = 0;
    CHECK(wait_until(
        [&] {
            received += drain(player);
            return received >= 50;
        },
        3s));
    close(player);
    CHECK(alice.peer("tv")["unreachable"] == false);
    // An ICMP error is also reported once on the socket's next send, whoever that goes to:
    // retried, it is not counted as a refusal of that peer.
    CHECK(self_counter(alice, "tx_errors") == 0);
}

TEST_CASE(
    "a viewer in a 4-party call gets every participant for 40 s at its port + k: at least 90 "
    "percent of each one's frames, never backed off") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    std::vector<TestPeer> peers;
    for (const char* n : {"alice", "bob", "carol", "dave"}) peers.push_back({n, free_udp_port()});
    peers.push_back(free_viewer("tv", 4, peers));
    const TestRoom room = write_room(dir, "watch4.json", "watch4", peers, 160, 120, 200);
    const int tv = room.port_of("tv");
    // One stock player per participant, each on its own port, as `meshcall invite` prints them
    // (ffplay's, run as ffmpeg for want of a window), started before the call so that every
    // frame sent can be counted.
    const RunResult invite = run({MESHCALL_BIN, "invite", room.path, "--as", "tv", "--json"});
    REQUIRE(invite.status == 0);
    std::vector<std::vector<std::string>> argvs;
    const auto commands = nlohmann::json::parse(invite.out)["commands"];
    for (const auto& c : commands)
        if (c["what"] == "ffplay")
            argvs.push_back(ffplay_as_ffmpeg(c["argv"], "&timeout=5000000",
                                             {"-nostats", "-loglevel", "info", "-map", "0:v",
                                              "-fps_mode", "passthrough", "-f", "null", "-"}));
    REQUIRE(argvs.size() == 4);
    for (int k = 0; k < 4; ++k) {  // the port rule: peers[k] at tv's port + k
        const auto i = std::find(argvs[k].begin(), argvs[k].end(), "-i");
        REQUIRE(i + 1 < argvs[k].end());
        CHECK(i[1].find(":" + std::to_string(tv + k) + "?") != std::string::npos);
    }
    std::vector<RunResult> results(4);
    std::vector<std::thread> players;
    for (int k = 0; k < 4; ++k) players.emplace_back([&, k] { results[k] = run(argvs[k], 120s); });
    REQUIRE(wait_until(
        [&] {
            for (int k = 0; k < 4; ++k)
                if (!udp_port_taken(tv + k)) return false;
            return true;
        },
        10s));
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (int k = 0; k < 4; ++k)
        daemons.push_back(std::make_unique<Daemon>(dir, room, peers[k].name));
    for (auto& d : daemons) REQUIRE(d->wait_ready());

    // 40 s, checked every second: no participant ever backs the silent viewer off.
    int backed_off = 0;
    const auto end = std::chrono::steady_clock::now() + 40s;
    while (std::chrono::steady_clock::now() < end) {
        for (auto& d : daemons) backed_off += d->peer("tv").value("backed_off", false);
        std::this_thread::sleep_for(1s);
    }
    CHECK(backed_off == 0);
    std::vector<uint64_t> sent;
    for (auto& d : daemons) sent.push_back(self_counter(*d, "video_frames_sent"));
    for (auto& d : daemons) d->process().signal(SIGTERM);
    for (auto& p : players) p.join();
    for (int k = 0; k < 4; ++k) {
        INFO(peers[k].name << " at port " << tv + k << ": " << results[k].err);
        const long got = frames_decoded(results[k].err);
        MESSAGE(peers[k].name << ": sent " << sent[k] << " frames, the stock player decoded "
                              << got);
        CHECK(results[k].status == 0);
        CHECK(sent[k] >= 300);
        CHECK(got >= static_cast<long>(0.9 * double(sent[k])));
        // Exactly one clean stream on this port: its sender's name, and no decoding errors.
        CHECK(results[k].err.find("service_name    : " + peers[k].name) != std::string::npos);
        for (const char* bad : {"rror while decoding", "non-existing PPS", "corrupt", "Invalid"})
            CHECK(results[k].err.find(bad) == std::string::npos);
    }
}
