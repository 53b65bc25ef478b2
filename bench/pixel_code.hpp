// PixelCode: a wall-clock time burnt into the top rows of a picture, for latency measured the
// same way through any pipeline (stock ffmpeg or meshcall). Rows 0-15 carry 32 bits of the
// time in microseconds (modulo 2^32, least significant bit on the left, one cell of width/32
// pixels per bit, white = 1); rows 16-31 carry the complement of the same bits in reverse
// order (cell b: NOT bit 31-b). A damaged cell, or a strip that is part new and part stale
// (a decoder concealing a loss until the intra-refresh wave has crossed it), does not read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace meshcall::bench {

// A lavfi filter chain (to append with ',' to a single-chain video graph) that stamps each
// frame with the wall clock at the moment it passes, then gives it frame-counted timestamps
// again (pts = N / fps) for the encoder.
std::string burn_code_filters(int width, int fps);

// Age in microseconds of the code in a luma plane, at wall time `now_us`; nullopt if there
// is no readable code.
std::optional<int64_t> code_age_us(const uint8_t* luma, int linesize, int width, int height,
                                   int64_t now_us);

}  // namespace meshcall::bench
