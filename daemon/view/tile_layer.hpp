// The video layer a receiver asks each sender for: from the size the grid draws a tile at
// (config/video_layers.hpp). Pure arithmetic; any thread.
#pragma once

#include <vector>

#include "config/video_layers.hpp"

namespace meshcall {

// The layer for a tile of a grid of `tiles` tiles drawn into `view_w` x `view_h` (a headless
// participant: kHeadlessGridWidth x kHeadlessGridHeight), for pictures of `video_w`:`video_h`.
int layer_for_grid(const std::vector<LayerSpec>& layers, int tiles, int view_w, int view_h,
                   int video_w, int video_h);

}  // namespace meshcall
