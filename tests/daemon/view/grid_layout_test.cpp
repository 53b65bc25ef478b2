// GridLayout: tile placement for every call size and odd window sizes.
#include <doctest/doctest.h>

#include <cstdlib>

#include "daemon/view/grid_layout.hpp"

using namespace meshcall;

TEST_CASE("grid shape: 2x2 for 4, 3x3 for 7, 4x4 for 15, and ceil(sqrt(n)) columns for 1..16") {
    CHECK(grid_shape(1).cols == 1);
    CHECK(grid_shape(1).rows == 1);
    CHECK(grid_shape(2).cols == 2);
    CHECK(grid_shape(2).rows == 1);
    CHECK(grid_shape(4).cols == 2);
    CHECK(grid_shape(4).rows == 2);
    CHECK(grid_shape(7).cols == 3);
    CHECK(grid_shape(7).rows == 3);
    CHECK(grid_shape(15).cols == 4);
    CHECK(grid_shape(15).rows == 4);
    CHECK(grid_shape(16).rows == 4);
    for (int n = 1; n <= 16; ++n) {
        const GridShape g = grid_shape(n);
        CHECK(g.cols * g.cols >= n);
        CHECK((g.cols - 1) * (g.cols - 1) < n);
        CHECK(g.rows == (n + g.cols - 1) / g.cols);
    }
}

TEST_CASE(
    "layout: tiles keep the aspect ratio, stay inside, never overlap, for n = 1..16 and odd "
    "sizes") {
    const int sizes[][2] = {{1280, 720},  {641, 479}, {333, 1001},
                            {1919, 1079}, {100, 75},  {17, 13}};
    for (const auto& size : sizes) {
        const int w = size[0], h = size[1];  // not a structured binding: INFO captures them
        for (int n = 1; n <= 16; ++n) {
            INFO("n=" << n << " window " << w << "x" << h);
            auto tiles = layout_grid(n, w, h, 640, 480);
            REQUIRE(tiles.size() == static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < tiles.size(); ++i) {
                const Rect& t = tiles[i];
                CHECK(t.x >= 0);
                CHECK(t.y >= 0);
                CHECK(t.x + t.w <= w);
                CHECK(t.y + t.h <= h);
                if (t.w > 3) CHECK(std::abs(t.w * 3 - t.h * 4) <= 4);  // 4:3 within rounding
                for (std::size_t j = 0; j < i; ++j) {
                    const Rect& o = tiles[j];
                    const bool apart = t.x >= o.x + o.w || o.x >= t.x + t.w || t.y >= o.y + o.h ||
                                       o.y >= t.y + t.h;
                    CHECK(apart);
                }
            }
        }
    }
}

TEST_CASE("layout: the grid is centred, with gaps, and tiles are as large as the window allows") {
    auto t = layout_grid(4, 1280, 720, 640, 480, 6);
    // Height-limited: each row (720 - 3*6)/2 = 351 high, 468 wide.
    CHECK(t[0] == Rect{169, 6, 468, 351});
    CHECK(t[1] == Rect{643, 6, 468, 351});
    CHECK(t[2] == Rect{169, 363, 468, 351});
    CHECK(t[3] == Rect{643, 363, 468, 351});
    // Centred: equal margins left and right.
    CHECK(t[0].x == 1280 - (t[1].x + t[1].w));
}

TEST_CASE("layout: a short last row is centred") {
    auto t = layout_grid(7, 900, 900, 640, 480, 6);
    REQUIRE(t.size() == 7);
    // Row 3 holds one tile, in the middle column's place.
    CHECK(t[6].y > t[3].y);
    CHECK(t[6].x == t[4].x);
}

TEST_CASE("fit_inside letterboxes and pillarboxes") {
    CHECK(fit_inside({0, 0, 400, 400}, 640, 480) == Rect{0, 50, 400, 300});
    CHECK(fit_inside({10, 10, 400, 100}, 640, 480) == Rect{143, 10, 133, 100});
    CHECK(fit_inside({0, 0, 0, 10}, 640, 480).w == 0);
}
