// Lip sync between real meshcalld: a participant that plays the mix holds each peer's pictures
// until their sound is heard, and says by how much they missed it (status av_offset_ms). The
// end-to-end check, a flash and a beep seen on a window and heard on a sound server, is in
// tests/daemon/audio/lip_sync_window_test.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <thread>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE("lip sync: a participant that plays the sound shows each picture within 45 ms of it") {
    TempDir dir;
    TestRoom room = make_room(dir, "lipsync", {"alice", "bob"});
    Daemon alice(dir, room, "alice");
    // Bob plays the mix (headless: into a recording paced at real time).
    Daemon bob(dir, room, "bob", {"--record-mix", dir.file("bob.wav")});
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(wait_until([&] { return !bob.peer("alice")["av_offset_ms"].is_null(); }, 10s));
    // Judged over a window once the jitter buffer has settled: every reading within 45 ms.
    std::this_thread::sleep_for(1s);
    int readings = 0;
    double worst = 0;
    const auto end = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < end) {
        const auto p = bob.peer("alice");
        INFO(p.dump());
        REQUIRE(p["av_offset_ms"].is_number());
        worst = std::max(worst, std::fabs(p["av_offset_ms"].get<double>()));
        ++readings;
        std::this_thread::sleep_for(100ms);
    }
    MESSAGE("bob shows alice's pictures at most " << worst << " ms off her sound (" << readings
                                                  << " readings)");
    CHECK(readings >= 10);
    CHECK(worst <= 45);
    // Alice plays nothing (no device, no recording): she has no sound to sync bob's pictures to.
    CHECK(alice.peer("bob")["av_offset_ms"].is_null());
    CHECK(alice.peer("bob").value("video_frames", 0) > 0);
}
