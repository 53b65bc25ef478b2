// Interop with stock FFmpeg tools: a stock ffmpeg sender is a peer, and stock ffmpeg/ffprobe
// receivers play a meshcalld stream.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

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

TEST_CASE("stock ffmpeg receives a meshcalld stream: H.264 and Opus, no errors, the sender named") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    TestRoom room = make_room(dir, "watch", {"alice", "viewer"});
    // The stock receiver listens where the room says "viewer" is; it starts first so it sees
    // the stream from its first packet.
    const std::string url = "udp://127.0.0.1:" + std::to_string(room.port_of("viewer")) +
                            "?localaddr=127.0.0.1&timeout=5000000";
    RunResult result;
    std::thread receiver([&] {
        result = run({"ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i",
                      url, "-map", "0:v", "-map", "0:a", "-t", "4", "-f", "null", "-"},
                     40s);
    });
    std::this_thread::sleep_for(500ms);  // let ffmpeg bind its port before the stream starts
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    receiver.join();
    INFO(result.err);
    CHECK(result.status == 0);
    CHECK(result.err.find("Video: h264") != std::string::npos);
    CHECK(result.err.find("Audio: opus") != std::string::npos);
    CHECK(result.err.find("service_name    : alice") != std::string::npos);
    // Decoded frames: the last progress line reads "frame=  N".
    auto pos = result.err.rfind("frame=");
    REQUIRE(pos != std::string::npos);
    CHECK(std::atoi(result.err.c_str() + pos + 6) >= 60);
    for (const char* bad : {"rror", "non-existing PPS", "corrupt", "Invalid"})
        CHECK(result.err.find(bad) == std::string::npos);
}
