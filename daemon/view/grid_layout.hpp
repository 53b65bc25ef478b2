// GridLayout: where each participant's tile goes in a window of any size (pure arithmetic).
// cols = ceil(sqrt(n)), rows = ceil(n / cols); tiles keep the video's aspect ratio, the grid is
// centred, with a thin gap between tiles.
#pragma once

#include <vector>

namespace meshcall {

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    friend bool operator==(const Rect&, const Rect&) = default;
};

struct GridShape {
    int cols = 0, rows = 0;
};

GridShape grid_shape(int n);

// Tile rectangles for `n` tiles of aspect `video_w`:`video_h` in a `width` x `height` area.
std::vector<Rect> layout_grid(int n, int width, int height, int video_w, int video_h, int gap = 6);

// The largest rectangle of aspect `w`:`h` centred inside `outer` (letterboxing).
Rect fit_inside(const Rect& outer, int w, int h);

}  // namespace meshcall
