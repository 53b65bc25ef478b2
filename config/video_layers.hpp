// Video layers (issue 15): the sizes each sender encodes once, from the room's video settings,
// and which one a receiver asks for, from the size it draws that sender's tile at. Every
// participant derives the same list from the same room file, so a layer is named by its index
// (0 = the smallest). Pure functions; any thread.
#pragma once

#include <vector>

#include "config/room.hpp"

namespace meshcall {

struct LayerSpec {
    int width = 0, height = 0, fps = 0, kbps = 0;
    friend bool operator==(const LayerSpec&, const LayerSpec&) = default;
};

// The room's layers, smallest first; the last is the room's own size, rate and bitrate.
// Below it (as `video.layers` allows, and while a layer stays at least 80x60): half the size at
// a sixth of the bitrate, then a quarter of the size at a fifteenth and at most 15 fps (measured
// with x264 ultrafast: 640x480 0.86 ms a frame, 320x240 0.23, 160x120 0.09; docs/benchmarks.md,
// "Layers").
std::vector<LayerSpec> video_layers(const VideoSettings& video);

// The layer to ask for when a `video_w` x `video_h` picture is drawn into a `tile_w` x `tile_h`
// tile (letterboxed): the smallest whose picture is at least 90 % of the drawn size, else the
// largest. A 2x2 grid in 1280x720 draws 640x480 at 470x352 (the top layer), a 4x4 grid at
// 233x175 (the half-size one).
int layer_for_tile(const std::vector<LayerSpec>& layers, int tile_w, int tile_h);

// What a headless participant draws into: a 1280x720 grid.
inline constexpr int kHeadlessGridWidth = 1280, kHeadlessGridHeight = 720;

}  // namespace meshcall
