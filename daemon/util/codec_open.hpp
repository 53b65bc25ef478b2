// open_decoder: a libavcodec decoder for one demuxed stream, opened the one way meshcall opens
// them (one thread, the stream's parameters and time base). Any thread, on a stream it owns.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

struct DecoderOptions {
    // Pictures larger than this many pixels are refused by the decoder (0: libavcodec's limit).
    int64_t max_pixels = 0;
    // AV_CODEC_FLAG_LOW_DELAY: output each frame as soon as it is decoded.
    bool low_delay = false;
};

// The decoder for `stream`, opened with a single thread (never frame threads: each adds a frame
// of delay). On failure returns nullptr and sets `error` to what went wrong, in words ("no
// decoder for hevc", "cannot open the h264 decoder: Invalid data found when processing input").
[[nodiscard]] CodecContextPtr open_decoder(const AVStream& stream, const DecoderOptions& options,
                                           std::string& error);

}  // namespace meshcall
