// Capture sources on a machine with no camera and no microphone: defaults fall back with one
// warning each; an explicitly named device that is missing is a clear error.
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {
std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE(
    "with no camera and no microphone the defaults fall back to a test pattern and silence, one "
    "warning each") {
    if (access("/dev/video0", F_OK) == 0) {
        skip_test("this machine has a camera (/dev/video0): the fallback cannot be seen here");
        return;
    }
    TempDir dir;
    TestRoom room = make_room(dir, "fallback", {"alice", "bob"});
    // No --video / --audio: the defaults (camera, mic). PULSE_SERVER points nowhere, so that a
    // desktop's sound server does not make this pass or fail by accident.
    Process alice({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--control",
                   dir.file("a.sock"), "--profile", dir.file("none.json")},
                  dir.file("alice.log"),
                  {"PULSE_SERVER=unix:/nonexistent", "ALSA_CONFIG_PATH=/nonexistent"});
    Daemon bob(dir, room, "bob");
    REQUIRE(bob.wait_ready());
    CHECK(wait_until([&] { return bob.peer("alice").value("video_frames", 0) > 10; }, 10s));
    const std::string log = read_file(dir.file("alice.log"));
    INFO(log);
    // Two warnings, one per device; a machine whose kernel caps socket buffers says so too.
    CHECK(count(log, "[warning]") - count(log, "the kernel capped the UDP") == 2);
    CHECK(count(log, "sending a test pattern instead") == 1);
    CHECK(count(log, "sending no sound") == 1);
    CHECK(bob.peer("alice")["audio_frames"] == 0);
    alice.signal(SIGTERM);
    CHECK(alice.wait(2s) == 0);
}

TEST_CASE(
    "an explicitly chosen camera that is missing is a clear error within a second, exit status 1") {
    TempDir dir;
    TestRoom room = make_room(dir, "nocam", {"alice", "bob"});
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r = run({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video",
                       "camera:/dev/video-none", "--audio", "none", "--control", dir.file("a.sock"),
                       "--profile", dir.file("none.json")},
                      5s);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    CHECK(r.status == 1);
    CHECK(r.err.find("/dev/video-none") != std::string::npos);
    CHECK(access(dir.file("a.sock").c_str(), F_OK) != 0);
}

TEST_CASE("--video and --audio values that are not sources are usage errors naming the option") {
    TempDir dir;
    TestRoom room = make_room(dir, "badsrc", {"alice", "bob"});
    RunResult v =
        run({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--video", "webcam"}, 5s);
    CHECK(v.status == 2);
    CHECK(v.err.find("--video: \"webcam\" is not a video source") != std::string::npos);
    RunResult a =
        run({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--audio", "tone:x"}, 5s);
    CHECK(a.status == 2);
    CHECK(a.err.find("--audio") != std::string::npos);
}
