// FrameStamp: the capture stamp as frame side data.
#include "daemon/util/frame_stamp.hpp"

#include <cstring>

namespace meshcall {

bool attach_capture_stamp(AVFrame* frame, int64_t wall_us) {
    AVFrameSideData* sd =
        av_frame_new_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED, kCaptureStampSize);
    if (!sd) return false;
    const auto payload = make_capture_stamp(wall_us);
    std::memcpy(sd->data, payload.data(), payload.size());
    return true;
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
