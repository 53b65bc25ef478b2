// Video layers: the room's sizes, and the one a tile needs.
#include "config/video_layers.hpp"

#include <algorithm>

namespace meshcall {

namespace {
int even(int v) {
    return std::max(2, v & ~1);
}
}  // namespace

std::vector<LayerSpec> video_layers(const VideoSettings& video) {
    const LayerSpec top{video.width, video.height, video.fps, video.bitrate_kbps};
    // Divisors of size and bitrate below the top layer, nearest first.
    struct Step {
        int size_div, kbps_div, max_fps;
    };
    constexpr Step kSteps[] = {{2, 6, 60}, {4, 15, 15}};
    std::vector<LayerSpec> below;
    for (int k = 0; k < video.layers - 1 && k < 2; ++k) {
        const Step s = kSteps[k];
        LayerSpec l{even(video.width / s.size_div), even(video.height / s.size_div),
                    std::min(video.fps, s.max_fps), std::max(30, video.bitrate_kbps / s.kbps_div)};
        if (l.width < 80 || l.height < 60) break;
        below.push_back(l);
    }
    std::vector<LayerSpec> out(below.rbegin(), below.rend());
    out.push_back(top);
    return out;
}

int layer_for_tile(const std::vector<LayerSpec>& layers, int tile_w, int tile_h) {
    if (layers.empty()) return 0;
    const LayerSpec& top = layers.back();
    // The drawn size: the picture fitted inside the tile.
    double draw_w = tile_w, draw_h = tile_h;
    if (top.width > 0 && top.height > 0) {
        const double scale = std::min(double(tile_w) / top.width, double(tile_h) / top.height);
        draw_w = top.width * scale;
        draw_h = top.height * scale;
    }
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].width >= 0.9 * draw_w && layers[i].height >= 0.9 * draw_h)
            return static_cast<int>(i);
    return static_cast<int>(layers.size()) - 1;
}

}  // namespace meshcall
