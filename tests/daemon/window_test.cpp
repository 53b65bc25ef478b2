// What a person sees and hears: the grid snapshot, a real window under Xvfb, the mixed sound.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include "daemon/util/participant_style.hpp"
#include "daemon/view/grid_layout.hpp"
#include "tests/support/test_room.hpp"
#include "tests/support/tone.hpp"
#include "tests/support/xvfb.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

constexpr int kW = 1280, kH = 720;  // snapshot size, and the Xvfb screen's

// An image decoded by the stock ffmpeg into packed RGB.
struct Image {
    std::string rgb;
    bool ok() const { return rgb.size() == std::size_t{kW} * kH * 3; }
    Rgb at(int x, int y) const {
        const std::size_t i = (std::size_t(y) * kW + std::size_t(x)) * 3;
        return {uint8_t(rgb[i]), uint8_t(rgb[i + 1]), uint8_t(rgb[i + 2])};
    }
};

Image decode(const std::string& path) {
    RunResult r = run({"ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v", "1", "-f",
                       "rawvideo", "-pix_fmt", "rgb24", "-"},
                      10s);
    return {r.out};
}

bool near(Rgb a, Rgb b, int tolerance = 36) {
    return std::abs(a.r - b.r) < tolerance && std::abs(a.g - b.g) < tolerance &&
           std::abs(a.b - b.b) < tolerance;
}

std::string show(Rgb c) {
    return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b);
}

// Every tile of `image` shows its participant's colour at its centre.
bool tiles_show_colours(const Image& image, int n, int video_w, int video_h, std::string& why) {
    if (!image.ok()) {
        why = "not a 1280x720 picture";
        return false;
    }
    const auto rects = layout_grid(n, kW, kH, video_w, video_h);
    for (int i = 0; i < n; ++i) {
        const Rect& r = rects[std::size_t(i)];
        const Rgb got = image.at(r.x + r.w / 2, r.y + r.h / 2);
        if (!near(got, participant_colour(i))) {
            why = "tile " + std::to_string(i) + " shows " + show(got) + ", not " +
                  show(participant_colour(i));
            return false;
        }
    }
    return true;
}

uint64_t mtime_ns(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return 0;
    return uint64_t(st.st_mtim.tv_sec) * 1'000'000'000u + uint64_t(st.st_mtim.tv_nsec);
}

}  // namespace

TEST_CASE(
    "snapshot of a 4-party call: each tile in its layout place shows that peer's colour, a stopped "
    "peer its placeholder") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    TestRoom room = make_room(dir, "grid", {"alice", "bob", "carol", "dave"});
    const std::string snap = dir.file("grid.png");
    Daemon alice(dir, room, "alice", {"--snapshot", snap, "--snapshot-every", "0.3"});
    Daemon bob(dir, room, "bob"), carol(dir, room, "carol");
    auto dave = std::make_unique<Daemon>(dir, room, "dave");
    for (Daemon* d : {&alice, &bob, &carol, dave.get()}) REQUIRE(d->wait_ready());
    for (const char* p : {"bob", "carol", "dave"})
        REQUIRE(wait_until([&] { return alice.peer(p).value("video_frames", 0) > 5; }, 10s));
    std::string why;
    CHECK_MESSAGE(
        wait_until([&] { return tiles_show_colours(decode(snap), 4, 320, 240, why); }, 5s), why);
    // Beside the centred grid: the background (a speaker's border may light up the gaps).
    const Image img = decode(snap);
    REQUIRE(img.ok());
    const auto rects = layout_grid(4, kW, kH, 320, 240);
    CHECK(near(img.at(rects[0].x / 2, kH / 2), {16, 16, 20}, 8));
    CHECK(near(img.at(kW - rects[0].x / 2, kH / 2), {16, 16, 20}, 8));

    dave->process().signal(SIGTERM);  // dave leaves: his tile turns into "dave left"
    CHECK(dave->process().wait(2s) == 0);
    const Rect& d = rects[3];
    const uint64_t left_at = mtime_ns(snap);
    CHECK(wait_until(
        [&] {
            if (mtime_ns(snap) == left_at) return false;
            const Image now = decode(snap);
            return now.ok() && near(now.at(d.x + d.w / 2, d.y + d.h * 35 / 100), {48, 48, 56}, 6);
        },
        3s));
    // The others are still live.
    const Image after = decode(snap);
    REQUIRE(after.ok());
    for (int i = 0; i < 3; ++i) {
        const Rect& r = rects[std::size_t(i)];
        CHECK(near(after.at(r.x + r.w / 2, r.y + r.h / 2), participant_colour(i)));
    }
}

TEST_CASE("snapshot on request through the control socket") {
    TempDir dir;
    TestRoom room = make_room(dir, "ask", {"alice", "bob"});
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(wait_until([&] { return alice.peer("bob").value("video_frames", 0) > 5; }, 10s));
    auto reply = alice.request(R"({"cmd":"snapshot","path":")" + dir.file("asked.png") + "\"}");
    REQUIRE(reply);
    CHECK((*reply)["ok"] == true);
    std::string why;
    CHECK_MESSAGE(tiles_show_colours(decode(dir.file("asked.png")), 2, 320, 240, why), why);
    auto bad = alice.request(R"({"cmd":"snapshot","path":"/nonexistent-dir/x.png"})");
    REQUIRE(bad);
    CHECK((*bad)["ok"] == false);
    CHECK((*bad)["error"].get<std::string>().find("/nonexistent-dir/x.png") != std::string::npos);
    // Drawn off the event loop, answered later: on one connection the replies keep the order
    // of the requests (the status asked after two snapshots comes third).
    const std::string ask = R"({"cmd":"snapshot","path":")" + dir.file("one.png") + "\"}\n" +
                            R"({"cmd":"snapshot","path":"/nonexistent-dir/y.png"})" + "\n" +
                            R"({"cmd":"status"})" + "\n";
    auto replies = raw_control_lines(alice.control(), ask, 3, 5000);
    REQUIRE(replies.size() == 3);
    CHECK(replies[0].find(dir.file("one.png")) != std::string::npos);
    CHECK(replies[0].find("\"ok\":true") != std::string::npos);
    CHECK(replies[1].find("/nonexistent-dir/y.png") != std::string::npos);
    CHECK(replies[1].find("\"ok\":false") != std::string::npos);
    CHECK(replies[2].find("\"room\"") != std::string::npos);
}

TEST_CASE("a real window under Xvfb shows the same tiles and colours as the snapshot") {
    if (!have_program("Xvfb") || !have_program("xwd")) {
        FAIL("Xvfb and xwd are needed (Debian: xvfb, x11-apps); scripts/setup installs them");
        return;
    }
    TempDir dir;
    Xvfb xvfb(dir, "1280x720x24");
    const std::string& disp = xvfb.display();
    REQUIRE(!disp.empty());
    TestRoom room = make_room(dir, "window", {"alice", "bob", "carol"});
    // alice with a window (and SDL's dummy sound driver), sending nothing: her own tile is the
    // "video off" placeholder, the others' tiles their colours. Under the sanitizers this one
    // process unwinds the fast way (Mesa's start-up is too slow otherwise) and skips the leak
    // check: libX11, D-Bus and the GL driver SDL unloads at exit keep allocations LSan cannot
    // attribute. The code it shares with headless calls is leak-checked everywhere else.
    std::vector<std::string> env = {"DISPLAY=" + disp, "SDL_AUDIODRIVER=dummy"};
    if (const char* asan = std::getenv("ASAN_OPTIONS"))
        env.push_back(std::string("ASAN_OPTIONS=") + asan +
                      ":fast_unwind_on_malloc=1:detect_leaks=0");
    Process alice(
        {MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--video", "none", "--audio", "none",
         "--control", dir.file("alice.sock"), "--profile", dir.file("none.json"), "--snapshot",
         dir.file("alice.png"), "--snapshot-every", "0.3", "-v"},
        dir.file("alice.log"), env);
    Daemon bob(dir, room, "bob"), carol(dir, room, "carol");
    REQUIRE(bob.wait_ready());
    REQUIRE(carol.wait_ready());
    INFO(read_file(dir.file("alice.log")));
    const auto rects = layout_grid(3, kW, kH, 320, 240);
    auto shows_call = [&](const Image& img, std::string& why) {
        if (!img.ok()) {
            why = "not a 1280x720 picture";
            return false;
        }
        const Rect& a = rects[0];
        const Rgb placeholder = img.at(a.x + a.w / 2, a.y + a.h * 35 / 100);
        if (!near(placeholder, {48, 48, 56}, 6)) {
            why = "alice's tile shows " + show(placeholder) + ", not the placeholder";
            return false;
        }
        for (int i = 1; i < 3; ++i) {
            const Rect& r = rects[std::size_t(i)];
            const Rgb got = img.at(r.x + r.w / 2, r.y + r.h / 2);
            if (!near(got, participant_colour(i))) {
                why = "tile " + std::to_string(i) + " shows " + show(got);
                return false;
            }
        }
        return true;
    };
    std::string why;
    const std::string shot = dir.file("shot.xwd");
    CHECK_MESSAGE(
        wait_until(
            [&] {
                run({"sh", "-c", "xwd -root -silent -display " + disp + " > " + shot}, 5s);
                return shows_call(decode(shot), why);
            },
            15s),
        why);
    CHECK(read_file(dir.file("alice.log")).find("without a window") == std::string::npos);
    // The snapshot, drawn by the same code, agrees.
    CHECK_MESSAGE(shows_call(decode(dir.file("alice.png")), why), why);
    alice.signal(SIGTERM);
    CHECK(alice.wait(3s) == 0);
}

TEST_CASE("the mix holds each peer's tone, not a muted peer's, never your own") {
    TempDir dir;
    TestRoom room = make_room(dir, "mix", {"alice", "bob", "carol"});
    const std::string wav = dir.file("carol.wav");
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob"),
        carol(dir, room, "carol", {"--record-mix", wav});
    for (Daemon* d : {&alice, &bob, &carol}) REQUIRE(d->wait_ready());
    REQUIRE(run({MESHCALL_BIN, "mute", "audio", "--control", bob.control()}, 5s).status == 0);
    REQUIRE(wait_until([&] { return carol.peer("bob")["audio_muted"] == true; }, 2s));
    // Two seconds of mix after bob's mute took effect.
    const auto size_at_mute = read_file(wav).size();
    REQUIRE(wait_until([&] { return read_file(wav).size() > size_at_mute + 2 * 48000 * 2; }, 5s));
    const std::string bytes = read_file(wav);
    std::vector<float> last;
    for (std::size_t i = bytes.size() - 48000 * 2; i + 1 < bytes.size(); i += 2)
        last.push_back(float(int16_t(uint8_t(bytes[i]) | (uint8_t(bytes[i + 1]) << 8))) / 32768.f);
    const double a = goertzel(last, participant_tone_hz(0)),
                 b = goertzel(last, participant_tone_hz(1)),
                 c = goertzel(last, participant_tone_hz(2));
    INFO("alice " << a << ", bob (muted) " << b << ", carol (self) " << c);
    CHECK(a > 0.02);
    CHECK(b < a / 50);
    CHECK(c < a / 50);
}
