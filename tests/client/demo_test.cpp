// meshcall demo: the first thing a new user runs works end to end on a machine with no display.
#include <doctest/doctest.h>

#include <cstdlib>

#include "daemon/view/grid_layout.hpp"
#include "daemon/util/participant_style.hpp"
#include "tests/support/process.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE(
    "meshcall demo --peers 4 --seconds 5 exits 0 and leaves a snapshot with four live tiles") {
    REQUIRE(have_program("ffmpeg"));
    RunResult r = run({MESHCALL_BIN, "demo", "--peers", "4", "--seconds", "5"}, 60s, {"DISPLAY="});
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("the call ended cleanly") != std::string::npos);
    const auto at = r.out.find("snapshot of alice's view: ");
    REQUIRE(at != std::string::npos);
    std::string path = r.out.substr(at + 26);
    path = path.substr(0, path.find('\n'));
    RunResult img =
        run({"ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"}, 10s);
    REQUIRE(img.out.size() == 1280u * 720 * 3);
    const auto rects = layout_grid(4, 1280, 720, 640, 480);
    for (int i = 0; i < 4; ++i) {
        const Rect& t = rects[std::size_t(i)];
        const std::size_t p = (std::size_t(t.y + t.h / 2) * 1280 + std::size_t(t.x + t.w / 2)) * 3;
        const Rgb want = participant_colour(i);
        INFO("tile " << i);
        CHECK(std::abs(uint8_t(img.out[p]) - want.r) < 36);
        CHECK(std::abs(uint8_t(img.out[p + 1]) - want.g) < 36);
        CHECK(std::abs(uint8_t(img.out[p + 2]) - want.b) < 36);
    }
    // The table printed at the end shows three connected peers at full rate.
    CHECK(r.out.find("bob              connected") != std::string::npos);
    CHECK(r.out.find("dave             connected") != std::string::npos);
}

TEST_CASE("meshcall demo refuses a call size outside 2-16") {
    RunResult r = run({MESHCALL_BIN, "demo", "--peers", "40"}, 10s);
    CHECK(r.status == 2);
}
