// Interop with stock FFmpeg tools: a stock ffmpeg sender is a peer, and stock ffmpeg/ffprobe
// receivers play a meshcalld stream.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "tests/support/stock_player.hpp"
#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE("a stock ffmpeg sender (the blog's command) shows up as a decoded peer") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    TestRoom room = make_room(dir, "interop", {"alice", "seed"});
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    // The original two-person command, with lavfi standing in for camera and microphone.
    const std::string url = stock_sender_url(room, "alice", "seed");
    Process seed({"ffmpeg",
                  "-hide_banner",
                  "-nostdin",
                  "-loglevel",
                  "error",
                  "-re",
                  "-f",
                  "lavfi",
                  "-i",
                  "testsrc2=size=320x240:rate=30",
                  "-f",
                  "lavfi",
                  "-i",
                  "sine=frequency=500",
                  "-t",
                  "20",
                  "-c:v",
                  "libx264",
                  "-preset:v",
                  "ultrafast",
                  "-tune",
                  "zerolatency",
                  "-intra-refresh",
                  "1",
                  "-b:v",
                  "400k",
                  "-c:a",
                  "mp2",
                  "-f",
                  "mpegts",
                  url},
                 dir.file("seed.log"));
    CHECK(wait_until(
        [&] {
            auto p = alice.peer("seed");
            return p.is_object() && p.value("video_frames", 0) >= 30 &&
                   p.value("audio_frames", 0) >= 10;
        },
        15s));
    auto p = alice.peer("seed");
    INFO(p.dump());
    CHECK(p["state"] == "connected");
    REQUIRE(p["picture"].is_object());
    CHECK(p["picture"]["width"] == 320);
    CHECK(p["picture"]["height"] == 240);
    CHECK(p["rejected_streams"] == 0);
    CHECK(p["latency_ms"].is_null());  // a stock sender carries no capture stamp
}

TEST_CASE(
    "a stock ffmpeg sender of stereo Opus is heard: the tone downmixed, no errors, no jumps") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    TestRoom room = make_room(dir, "interop", {"alice", "seed"});
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    const std::string url = stock_sender_url(room, "alice", "seed");
    Process seed(
        {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
         "sine=frequency=500", "-t", "20", "-ac", "2", "-c:a", "libopus", "-f", "mpegts", url},
        dir.file("seed.log"));
    CHECK(wait_until(
        [&] {
            auto p = alice.peer("seed");
            return p.is_object() && p.value("audio_frames", 0) >= 50;
        },
        15s));
    auto p = alice.peer("seed");
    INFO(p.dump());
    CHECK(p["audio_level"].get<double>() > 0.05);  // the tone, downmixed, not silence
    CHECK(p["decode_errors"] == 0);
    CHECK(p["audio_jumps"] == 0);
    CHECK(p["rejected_streams"] == 0);
}

TEST_CASE(
    "stock ffmpeg watches a meshcalld stream for 40 s as a listed viewer: H.264 and Opus, the "
    "sender named, no errors, at least 90 percent of the frames") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}};
    peers.push_back(free_viewer("viewer", 1, peers));
    const TestRoom room = write_room(dir, "watch.json", "watch", peers);
    // The stock player listens at the viewer's port + 0 (alice is peers[0]); it starts first so
    // it sees the stream from its first packet. 40 s: a viewer never sends, and once meshcalld
    // stopped sending to silent peers after 10 s.
    RunResult result;
    std::thread receiver([&] {
        result = run(stock_watcher(room.port_of("viewer"), {"0:v", "0:a"}), 90s);
    });
    REQUIRE(wait_until([&] { return udp_port_taken(room.port_of("viewer")); }, 10s));
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    const auto end = std::chrono::steady_clock::now() + 40s;
    while (std::chrono::steady_clock::now() < end) {
        CHECK(alice.peer("viewer")["backed_off"] == false);
        std::this_thread::sleep_for(1s);
    }
    const uint64_t sent = (*alice.status())["self"].value("video_frames_sent", uint64_t{0});
    alice.process().signal(SIGTERM);
    receiver.join();
    INFO(result.err);
    CHECK(result.status == 0);
    CHECK(result.err.find("Video: h264") != std::string::npos);
    CHECK(result.err.find("Audio: opus") != std::string::npos);
    CHECK(result.err.find("service_name    : alice") != std::string::npos);
    const long got = frames_decoded(result.err);
    MESSAGE("alice sent " << sent << " frames in 40 s, the stock player decoded " << got);
    CHECK(sent >= 300);
    CHECK(got >= static_cast<long>(0.9 * double(sent)));
    // (The player ends on its 5 s read timeout: "Input/output error" is that, not a fault.)
    for (const char* bad : {"rror while decoding", "non-existing PPS", "corrupt", "Invalid"})
        CHECK(result.err.find(bad) == std::string::npos);
}
