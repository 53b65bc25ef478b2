// Guests end to end: the commands `meshcall invite --json` prints, run for real (test sources
// for the camera and microphone, no window) against meshcalld participants.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <map>
#include <thread>

#include "tests/support/guest_room.hpp"
#include "tests/support/stock_player.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The commands of guest `as`, as meshcall invite prints them.
json invite_commands(const TestRoom& room, const std::string& as) {
    const RunResult r = run({MESHCALL_BIN, "invite", room.path, "--as", as, "--json"});
    INFO("stderr: ", r.err);
    REQUIRE(r.status == 0);
    return json::parse(r.out)["commands"];
}

json command(const json& commands, const std::string& key, const std::string& value) {
    for (const auto& c : commands)
        if (c.value(key, std::string()) == value) return c;
    FAIL("no command with " << key << " " << value);
    return {};
}

// The Linux sender with lavfi test sources where its camera and microphone are.
std::vector<std::string> sender_with_test_sources(const json& commands) {
    auto argv = command(commands, "os", "linux")["argv"].get<std::vector<std::string>>();
    argv = replace_input(argv, "/dev/video0",
                         {"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"});
    argv = replace_input(argv, "default",
                         {"-re", "-f", "lavfi", "-i", "sine=frequency=600:sample_rate=48000"});
    argv.insert(argv.begin() + 1, {"-nostdin", "-loglevel", "warning"});
    return argv;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("guest: invite's sender command is a connected tile at every participant") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    // cam is peers[4]: the viewer gets it at its port + 4.
    const TestRoom room = make_guest_room(
        dir, "guests",
        {{"tv", "viewer"}, {"alice", ""}, {"bob", ""}, {"carol", ""}, {"cam", "sender"}});
    // Where the viewer tv gets cam (peers[4]): its port + 4. Counted here, from cam's port.
    const int tv_socket = bound_udp(room.port_of("tv") + 4);
    REQUIRE(tv_socket >= 0);
    std::map<std::string, std::unique_ptr<Daemon>> daemons;
    for (const char* name : {"alice", "bob", "carol"}) {
        daemons[name] = std::make_unique<Daemon>(dir, room, name);
        REQUIRE(daemons[name]->wait_ready());
    }
    const auto argv = sender_with_test_sources(invite_commands(room, "cam"));
    Process cam(argv, dir.file("cam.log"));
    // (No structured bindings in the lambdas below: clang 14 cannot capture them.)
    for (auto& entry : daemons) {
        const std::string& name = entry.first;
        Daemon* d = entry.second.get();
        INFO(name, ": ", d->peer("cam").dump(), "\ncam: ", read_file(dir.file("cam.log")));
        CHECK(wait_until(
            [&] {
                const json p = d->peer("cam");
                return p.is_object() && p.value("state", "") == "connected" &&
                       p.value("video_frames", 0) >= 15 && p.value("audio_frames", 0) >= 10;
            },
            20s));
    }
    // Judged over a window after every tile is up: frames keep coming, nothing is refused.
    std::map<std::string, json> before;
    for (auto& [name, d] : daemons) before[name] = d->peer("cam");
    for (auto& entry : daemons) {
        const std::string& name = entry.first;
        Daemon* d = entry.second.get();
        const json b = before[name];
        json p;
        CHECK(wait_until(
            [&] {
                p = d->peer("cam");
                return p.is_object() &&
                       p.value("video_frames", 0) >= b.value("video_frames", 0) + 30 &&
                       p.value("audio_frames", 0) >= b.value("audio_frames", 0) + 25;
            },
            15s));
        INFO(name, ": ", p.dump());
        CHECK(p["state"] == "connected");
        CHECK(p["rejected_streams"] == 0);
        CHECK(p["picture"]["width"] == 320);
    }
    // The viewer's copy arrives at tv's port + 4, from cam's listed port.
    CHECK(wait_until(
        [&] {
            char buf[2048];
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n = recvfrom(tv_socket, buf, sizeof buf, MSG_DONTWAIT,
                                       reinterpret_cast<sockaddr*>(&from), &len);
            return n > 0 && buf[0] == 0x47 && ntohs(from.sin_port) == room.port_of("cam");
        },
        5s));
    close(tv_socket);
}

TEST_CASE("guest: invite's grid command decodes and tiles every participant") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    const TestRoom room =
        make_guest_room(dir, "grid", {{"tv", "viewer"}, {"alice", ""}, {"bob", ""}, {"carol", ""}});
    const json grid = command(invite_commands(room, "tv"), "what", "grid");
    REQUIRE(grid["argv"].is_array());
    // The grid's pictures and sound go nowhere instead of into ffplay.
    const auto argv =
        replace_output(grid["argv"].get<std::vector<std::string>>(), {"-f", "null", "-"});
    // The grid starts first: it waits on each input until that peer's stream arrives.
    Process viewer(argv, dir.file("grid.log"));
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (const char* name : {"alice", "bob", "carol"})
        daemons.push_back(std::make_unique<Daemon>(dir, room, name));
    const auto log = [&] { return read_file(dir.file("grid.log")); };
    // Each input opened with both streams, then the output started: xstack emits a picture
    // only once it has one from every input.
    const bool started = wait_until(
        [&] {
            const std::string l = log();
            return contains(l, "Output #0") && frames_decoded(l) >= 0;
        },
        20s);
    INFO("grid log: ", log());
    REQUIRE(started);
    const std::string opened = log();
    for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i);
        CHECK(contains(opened, "Input #" + n + ", mpegts"));
        CHECK(contains(opened, "Stream #" + n + ":0[0x100]: Video: h264"));
        CHECK(contains(opened, "Stream #" + n + ":1[0x101]: Audio: opus"));
    }
    // Judged over a window: the grid keeps producing pictures (30 fps nominal; 45 frames is
    // 1.5 s of it, allowed 12 s on a loaded machine). A stalled input would stall xstack.
    const long first = frames_decoded(log());
    CHECK(wait_until([&] { return frames_decoded(log()) >= first + 45; }, 12s));
    CHECK(viewer.running());
}
