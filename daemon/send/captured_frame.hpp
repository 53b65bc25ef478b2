// CapturedFrame: a raw picture or sound block on its way from a capture thread to the encoder.
#pragma once

#include <cstdint>

#include "daemon/util/av_ptr.hpp"
#include "daemon/util/bounded_queue.hpp"

namespace meshcall {

struct CapturedFrame {
    FramePtr frame;  // video: yuv420p at the room's size; audio: mono float, 48 kHz
    AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
    int64_t wall_us = 0;  // capture time, wall clock (av_gettime), microseconds
    int64_t mono_us = 0;  // capture time, monotonic clock (av_gettime_relative)
};

using CaptureQueue = BoundedQueue<CapturedFrame>;

inline constexpr int kAudioRate = 48000;
inline constexpr int kAudioFrameSamples = 960;  // 20 ms, one Opus frame

}  // namespace meshcall
