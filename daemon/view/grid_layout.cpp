// GridLayout: tile placement.
#include "daemon/view/grid_layout.hpp"

#include <algorithm>
#include <cmath>

namespace meshcall {

GridShape grid_shape(int n) {
    if (n <= 0) return {};
    int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    // Guard against floating point: the smallest cols with cols * cols >= n.
    while ((cols - 1) * (cols - 1) >= n) --cols;
    while (cols * cols < n) ++cols;
    return {cols, (n + cols - 1) / cols};
}

Rect fit_inside(const Rect& outer, int w, int h) {
    if (w <= 0 || h <= 0 || outer.w <= 0 || outer.h <= 0) return {outer.x, outer.y, 0, 0};
    int fw = outer.w, fh = static_cast<int>(int64_t{outer.w} * h / w);
    if (fh > outer.h) {
        fh = outer.h;
        fw = static_cast<int>(int64_t{outer.h} * w / h);
    }
    return {outer.x + (outer.w - fw) / 2, outer.y + (outer.h - fh) / 2, fw, fh};
}

std::vector<Rect> layout_grid(int n, int width, int height, int video_w, int video_h, int gap) {
    std::vector<Rect> tiles;
    const GridShape g = grid_shape(n);
    if (n <= 0 || width <= 0 || height <= 0) return tiles;
    // In a tiny window the gaps shrink (to nothing) before the tiles do.
    gap = std::min({gap, width / (4 * (g.cols + 1)), height / (4 * (g.rows + 1))});
    // The cell size that fits the grid (gaps between and around the tiles), at the video's aspect.
    const int cell_w_max = std::max(0, (width - gap * (g.cols + 1)) / g.cols);
    const int cell_h_max = std::max(0, (height - gap * (g.rows + 1)) / g.rows);
    const Rect cell = fit_inside({0, 0, cell_w_max, cell_h_max}, video_w, video_h);
    const int grid_w = g.cols * cell.w + (g.cols - 1) * gap;
    const int grid_h = g.rows * cell.h + (g.rows - 1) * gap;
    const int x0 = (width - grid_w) / 2, y0 = (height - grid_h) / 2;
    for (int i = 0; i < n; ++i) {
        const int row = i / g.cols, col = i % g.cols;
        // The last row, if short, is centred too.
        const int in_row = row == g.rows - 1 ? n - row * g.cols : g.cols;
        const int row_x0 = x0 + (grid_w - (in_row * cell.w + (in_row - 1) * gap)) / 2;
        tiles.push_back({row_x0 + col * (cell.w + gap), y0 + row * (cell.h + gap), cell.w, cell.h});
    }
    return tiles;
}

}  // namespace meshcall
