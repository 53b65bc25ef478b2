// Opus in MPEG-TS: control-header parsing.
#include "protocol/opus_ts.hpp"

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

}  // namespace meshcall
