// CaptureStamp: SEI user data with the capture time.
#include "daemon/capture_stamp.hpp"

#include <cstring>

namespace meshcall {

bool attach_capture_stamp(AVFrame* frame, int64_t wall_us) {
    AVFrameSideData* sd = av_frame_new_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED, 24);
    if (!sd) return false;
    std::memcpy(sd->data, kCaptureStampUuid, 16);
    for (int i = 0; i < 8; ++i)
        sd->data[16 + i] = static_cast<uint8_t>(uint64_t(wall_us) >> (56 - 8 * i));
    return true;
}

std::optional<int64_t> parse_capture_stamp(std::span<const uint8_t> p) {
    if (p.size() < 24 || std::memcmp(p.data(), kCaptureStampUuid, 16) != 0) return std::nullopt;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[16 + static_cast<std::size_t>(i)];
    return static_cast<int64_t>(v);
}

std::optional<int64_t> read_capture_stamp(const AVFrame* frame) {
    for (int i = 0; i < frame->nb_side_data; ++i) {
        const AVFrameSideData* sd = frame->side_data[i];
        if (sd->type != AV_FRAME_DATA_SEI_UNREGISTERED) continue;
        if (auto t = parse_capture_stamp({sd->data, sd->size})) return t;
    }
    return std::nullopt;
}

}  // namespace meshcall
