// Calls of real meshcalld processes on loopback: every participant decodes every other one's
// video (in that peer's colour) and sound.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <cstdlib>
#include <thread>

#include "daemon/util/participant_style.hpp"
#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

uint64_t frames_of(Daemon& d, const std::string& peer) {
    auto p = d.peer(peer);
    return p.is_object() ? p.value("video_frames", uint64_t{0}) : 0;
}

uint64_t sent_of(Daemon& d) {
    auto s = d.status();
    return s ? (*s)["self"].value("video_frames_sent", uint64_t{0}) : 0;
}

// Every daemon decodes video and sound from every other one.
void check_full_mesh(std::vector<std::unique_ptr<Daemon>>& daemons, const TestRoom& room) {
    const std::size_t n = daemons.size();
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < n; ++k) {
            if (i == k) continue;
            const std::string& peer = room.peers[k].name;
            INFO(room.peers[i].name << " receiving " << peer);
            CHECK(wait_until([&] { return frames_of(*daemons[i], peer) >= 10; }, 15s));
        }
    }
    // Over 5 s, each receiver decodes at least 90 % of the frames each sender sent.
    std::vector<uint64_t> sent0(n), sent1(n);
    std::vector<std::vector<uint64_t>> got0(n, std::vector<uint64_t>(n)), got1 = got0;
    for (std::size_t i = 0; i < n; ++i) {
        sent0[i] = sent_of(*daemons[i]);
        for (std::size_t k = 0; k < n; ++k)
            if (i != k) got0[i][k] = frames_of(*daemons[i], room.peers[k].name);
    }
    std::this_thread::sleep_for(5s);  // the measurement window itself, not a wait for a condition
    for (std::size_t i = 0; i < n; ++i) {
        sent1[i] = sent_of(*daemons[i]);
        for (std::size_t k = 0; k < n; ++k)
            if (i != k) got1[i][k] = frames_of(*daemons[i], room.peers[k].name);
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < n; ++k) {
            if (i == k) continue;
            const uint64_t sent = sent1[k] - sent0[k], got = got1[i][k] - got0[i][k];
            INFO(room.peers[i].name << " got " << got << " of " << sent << " frames from "
                                    << room.peers[k].name);
            CHECK(sent >= 100);  // 30 fps for 5 s, less a little for a loaded machine
            // The two windows are read a few ms apart: allow two frames of skew.
            CHECK(got + 2 >= sent * 9 / 10);

            auto p = daemons[i]->peer(room.peers[k].name);
            REQUIRE(p.is_object());
            CHECK(p["state"] == "connected");
            CHECK(p["audio_frames"].get<uint64_t>() > 100);
            CHECK(p["audio_level"].get<double>() > 0.02);
            CHECK(p["loss_pct"].get<double>() == doctest::Approx(0.0));
            REQUIRE(p["picture"].is_object());
            const Rgb want = participant_colour(static_cast<int>(k));
            const auto& rgb = p["picture"]["mean_rgb"];
            CHECK(std::abs(rgb[0].get<int>() - want.r) < 32);
            CHECK(std::abs(rgb[1].get<int>() - want.g) < 32);
            CHECK(std::abs(rgb[2].get<int>() - want.b) < 32);
            CHECK(p["latency_ms"].is_number());
        }
    }
}

void run_call(const std::vector<std::string>& names) {
    TempDir dir;
    TestRoom room = make_room(dir, "call", names);
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (const auto& n : names) daemons.push_back(std::make_unique<Daemon>(dir, room, n));
    for (auto& d : daemons) REQUIRE(d->wait_ready());
    check_full_mesh(daemons, room);
    for (auto& d : daemons) {
        INFO(d->log_text());
        d->process().signal(SIGTERM);
        CHECK(d->process().wait(2s) == 0);
    }
}

}  // namespace

TEST_CASE("two-party call: each side decodes the other's video, colour and sound") {
    run_call({"alice", "bob"});
}

TEST_CASE("four-party call: every participant decodes every other participant") {
    run_call({"alice", "bob", "carol", "dave"});
}

TEST_CASE("status names the room, self and every peer with the documented fields") {
    TempDir dir;
    TestRoom room = make_room(dir, "fields", {"alice", "bob"});
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    auto s = alice.status();
    REQUIRE(s);
    CHECK((*s)["room"] == "fields");
    CHECK((*s)["self"]["name"] == "alice");
    for (const char* key : {"audio_muted", "video_muted", "tx_kbps"})
        CHECK((*s)["self"].contains(key));
    REQUIRE((*s)["peers"].size() == 1);
    const auto& bob = (*s)["peers"][0];
    for (const char* key :
         {"name", "address", "state", "video_fps", "rx_kbps", "loss_pct", "audio_muted",
          "video_muted", "last_seen_ms", "datagrams", "latency_ms"})
        CHECK(bob.contains(key));
    CHECK(bob["state"] == "absent");  // bob never started
    CHECK(bob["address"] == "127.0.0.1:" + std::to_string(room.port_of("bob")));
    CHECK(s->contains("dropped_unlisted"));
}
