// CaptureStamp: the SEI payload's bytes.
#include "protocol/capture_stamp.hpp"

#include <cstring>

namespace meshcall {

std::array<uint8_t, kCaptureStampSize> make_capture_stamp(int64_t wall_us) {
    std::array<uint8_t, kCaptureStampSize> p{};
    std::memcpy(p.data(), kCaptureStampUuid, 16);
    for (int i = 0; i < 8; ++i)
        p[16 + static_cast<std::size_t>(i)] =
            static_cast<uint8_t>(uint64_t(wall_us) >> (56 - 8 * i));
    return p;
}

std::optional<int64_t> parse_capture_stamp(std::span<const uint8_t> p) {
    if (p.size() < kCaptureStampSize || std::memcmp(p.data(), kCaptureStampUuid, 16) != 0)
        return std::nullopt;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[16 + static_cast<std::size_t>(i)];
    return static_cast<int64_t>(v);
}

}  // namespace meshcall
