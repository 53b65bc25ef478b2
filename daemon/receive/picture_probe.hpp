// mean_rgb: the average colour of a decoded picture, sampled on a 16×16 grid (for the status
// JSON, which tests read to tell whose picture a tile shows). Any thread, on a frame it holds.
#pragma once

#include <cstdint>

extern "C" {
#include <libavutil/frame.h>
}

namespace meshcall {

// 0xRRGGBB (BT.601, limited range) of a yuv420p picture; 0 for any other pixel format.
uint32_t mean_rgb(const AVFrame* f);

}  // namespace meshcall
