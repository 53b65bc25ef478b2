// The layer a grid tile needs.
#include "daemon/view/tile_layer.hpp"

#include "daemon/view/grid_layout.hpp"

namespace meshcall {

int layer_for_grid(const std::vector<LayerSpec>& layers, int tiles, int view_w, int view_h,
                   int video_w, int video_h) {
    const auto rects = layout_grid(tiles, view_w, view_h, video_w, video_h);
    if (rects.empty()) return static_cast<int>(layers.size()) - 1;
    return layer_for_tile(layers, rects[0].w, rects[0].h);
}

}  // namespace meshcall
