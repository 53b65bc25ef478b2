// PixelCode: the lavfi stamp and its reader.
#include "bench/pixel_code.hpp"

namespace meshcall::bench {

namespace {
constexpr int kBits = 32;
constexpr int kRow = 16;
}  // namespace

std::string burn_code_filters(int width, int fps) {
    const int cell = width / kBits;
    // Timestamps become the wall clock in microseconds (RTCTIME); drawbox's timeline `enable`
    // sees them as t (seconds). Black strip, then one white box per set bit (top band) and one
    // per clear bit, in reverse order (bottom band). No second input, so nothing waits for a
    // following frame.
    std::string g = "settb=AVTB,setpts=RTCTIME,drawbox=x=0:y=0:w=" + std::to_string(cell * kBits) +
                    ":h=" + std::to_string(2 * kRow) + ":color=black:t=fill";
    auto bit = [](int b) {
        return "mod(floor(mod(round(t*1000000),4294967296)/" + std::to_string(uint64_t{1} << b) +
               "),2)";
    };
    for (int b = 0; b < kBits; ++b) {
        const std::string box = "drawbox=x=" + std::to_string(b * cell) +
                                ":w=" + std::to_string(cell) + ":h=" + std::to_string(kRow) +
                                ":color=white:t=fill";
        g += "," + box + ":y=0:enable='" + bit(b) + "'";
        g += "," + box + ":y=" + std::to_string(kRow) + ":enable='1-" + bit(kBits - 1 - b) + "'";
    }
    return g + ",setpts=N/(" + std::to_string(fps) + "*TB)";
}

std::optional<int64_t> code_age_us(const uint8_t* luma, int linesize, int width, int height,
                                   int64_t now_us) {
    if (width < kBits * 4 || height < 2 * kRow) return std::nullopt;
    const int cell = width / kBits;
    auto mean = [&](int x0, int y0) {
        int sum = 0, n = 0;
        for (int y = y0 + 4; y < y0 + kRow - 4; ++y)
            for (int x = x0 + cell / 4; x < x0 + cell - cell / 4; ++x, ++n)
                sum += luma[y * linesize + x];
        return sum / n;
    };
    bool top[kBits], bottom[kBits];
    for (int b = 0; b < kBits; ++b) {
        top[b] = mean(b * cell, 0) > 126;
        bottom[b] = mean(b * cell, kRow) > 126;
    }
    uint32_t code = 0;
    for (int b = 0; b < kBits; ++b) {
        // A strip that is only partly new (a refresh wave still crossing it after a loss)
        // fails here: its left cells' bottom bands pair with its right cells' top bands.
        if (bottom[b] == top[kBits - 1 - b]) return std::nullopt;
        if (top[b]) code |= uint32_t{1} << b;
    }
    return static_cast<int32_t>(static_cast<uint32_t>(now_us) - code);
}

}  // namespace meshcall::bench
