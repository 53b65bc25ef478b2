// FrameStamp: the capture stamp (protocol/capture_stamp) on libav frames: attached to a frame
// before encoding (libx264 with udu_sei=1 writes it), read from a decoded frame's side data.
// Any thread, on frames it owns.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/capture_stamp.hpp"

extern "C" {
#include <libavutil/frame.h>
}

namespace meshcall {

// Attaches the stamp to a frame about to be encoded.
bool attach_capture_stamp(AVFrame* frame, int64_t wall_us);
// Reads a stamp from a decoded frame's side data, if it carries ours.
std::optional<int64_t> read_capture_stamp(const AVFrame* frame);

}  // namespace meshcall
