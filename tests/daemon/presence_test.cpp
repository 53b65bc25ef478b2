// Presence between peers: mute state, video off and on, and leave reach the other side in time.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>
#include <utility>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {
RunResult cli(const Daemon& d, std::vector<std::string> args) {
    args.insert(args.begin(), MESHCALL_BIN);
    args.insert(args.end(), {"--control", d.control()});
    return run(args, 5s);
}
}  // namespace

TEST_CASE(
    "mute and unmute reach the other peer within 1 s, video off stops its frames, video on "
    "restarts them") {
    TempDir dir;
    TestRoom room = make_room(dir, "presence", {"alice", "bob"});
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(wait_until([&] { return bob.peer("alice").value("video_frames", 0) > 10; }, 10s));
    // Presence goes out every 500 ms: the first may have left before bob listened.
    CHECK(wait_until([&] { return bob.peer("alice")["meshcall"] == true; }, 1s));

    REQUIRE(cli(alice, {"mute", "audio"}).status == 0);
    CHECK(wait_until([&] { return bob.peer("alice")["audio_muted"] == true; }, 1s));
    // No more sound from alice: once what was in flight has arrived (two polls 100 ms apart
    // agree), neither alice's sent count nor bob's received count moves for 600 ms, where
    // unmuted sound would have brought 30 frames.
    auto frames_now = [&] { return bob.peer("alice")["audio_frames"].get<uint64_t>(); };
    auto sent_now = [&] {
        return alice.status().value()["self"]["audio_frames_sent"].get<uint64_t>();
    };
    uint64_t audio0 = frames_now();
    REQUIRE(wait_until(
        [&] {
            std::this_thread::sleep_for(100ms);
            const uint64_t a = frames_now();
            return std::exchange(audio0, a) == a;
        },
        2s));
    const uint64_t sent0 = sent_now();
    CHECK_FALSE(wait_until([&] { return frames_now() > audio0 || sent_now() > sent0; }, 600ms));
    REQUIRE(cli(alice, {"unmute", "audio"}).status == 0);
    CHECK(wait_until([&] { return bob.peer("alice")["audio_muted"] == false; }, 1s));
    CHECK(wait_until([&] { return bob.peer("alice")["audio_frames"].get<uint64_t>() > audio0 + 5; },
                     2s));

    REQUIRE(cli(alice, {"mute", "video"}).status == 0);
    CHECK(wait_until([&] { return bob.peer("alice")["video_muted"] == true; }, 1s));
    // The per-second rate falls to zero once a whole second has passed without video.
    CHECK(wait_until([&] { return bob.peer("alice")["video_fps"].get<double>() == 0.0; }, 3s));
    const auto frames = bob.peer("alice")["video_frames"].get<uint64_t>();
    REQUIRE(cli(alice, {"unmute", "video"}).status == 0);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(
        wait_until([&] { return bob.peer("alice")["video_frames"].get<uint64_t>() > frames; }, 1s));
    MESSAGE("first picture " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count()
                             << " ms after unmute");
    CHECK(bob.peer("alice")["video_muted"] == false);
}

TEST_CASE(
    "meshcall leave: the daemon exits 0 within 2 s and the other peer shows it left within 1 s") {
    TempDir dir;
    TestRoom room = make_room(dir, "bye", {"alice", "bob", "carol"});
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob"), carol(dir, room, "carol");
    for (Daemon* d : {&alice, &bob, &carol}) REQUIRE(d->wait_ready());
    REQUIRE(wait_until([&] { return bob.peer("alice")["state"] == "connected"; }, 5s));
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(cli(alice, {"leave"}).status == 0);
    CHECK(alice.process().wait(2s) == 0);
    CHECK(wait_until([&] { return bob.peer("alice")["state"] == "left"; }, 1s));
    CHECK(wait_until([&] { return carol.peer("alice")["state"] == "left"; }, 1s));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    // SIGTERM says goodbye too.
    carol.process().signal(SIGTERM);
    CHECK(carol.process().wait(2s) == 0);
    CHECK(wait_until([&] { return bob.peer("carol")["state"] == "left"; }, 1s));
}

TEST_CASE("a participant sending neither video nor sound is still connected through its presence") {
    TempDir dir;
    TestRoom room = make_room(dir, "quiet", {"alice", "bob"});
    Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"}), bob(dir, room, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    CHECK(wait_until([&] { return bob.peer("alice")["state"] == "connected"; }, 2s));
    CHECK(bob.peer("alice")["video_frames"] == 0);
    CHECK(wait_until([&] { return alice.peer("bob")["state"] == "connected"; }, 2s));
}
