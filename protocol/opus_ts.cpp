// Opus in MPEG-TS: control-header parsing, and the payload that fits a TS packet count.
#include "protocol/opus_ts.hpp"

#include "protocol/ts_packet.hpp"

namespace meshcall {

std::vector<std::span<const uint8_t>> split_opus_ts(std::span<const uint8_t> in) {
    std::vector<std::span<const uint8_t>> out;
    std::size_t pos = 0;
    while (pos + 2 <= in.size()) {
        if (in[pos] != 0x7f || (in[pos + 1] & 0xe0) != 0xe0) break;
        const bool start_trim = in[pos + 1] & 0x10;
        const bool end_trim = in[pos + 1] & 0x08;
        const bool extension = in[pos + 1] & 0x04;
        pos += 2;
        std::size_t size = 0;
        for (;;) {
            if (pos >= in.size()) return out;
            const uint8_t b = in[pos++];
            size += b;
            if (b != 0xff) break;
        }
        if (start_trim) pos += 2;
        if (end_trim) pos += 2;
        if (extension) {
            if (pos >= in.size()) return out;
            pos += 1 + in[pos];
        }
        if (pos > in.size() || size > in.size() - pos) return out;
        out.push_back(in.subspan(pos, size));
        pos += size;
    }
    return out;
}

std::size_t opus_ts_capacity(std::size_t ts_packets) {
    if (ts_packets == 0) return 0;
    constexpr std::size_t kTsHeader = 4;
    constexpr std::size_t kAdaptation = 8;  // length, flags, 6-byte PCR
    constexpr std::size_t kPesHeader = 14;  // start code, stream id, length, flags, PTS
    const std::size_t room =
        ts_packets * (kTsPacketSize - kTsHeader) - kAdaptation - kPesHeader - 2;  // 0x7fe0
    // The size takes one byte per 255 (0xff bytes) plus a last byte below 255.
    std::size_t n = room - 1;
    while (n > 0 && n / 255 + 1 + n > room) --n;
    return n;
}

}  // namespace meshcall
