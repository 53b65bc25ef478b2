// CaptureStamp: the capture time carried in-band with each video frame, as an H.264
// user-data-unregistered SEI (16-byte UUID, then 8 bytes of wall-clock microseconds, big-endian).
// Stock players skip SEI they don't know.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

extern "C" {
#include <libavutil/frame.h>
}

namespace meshcall {

inline constexpr uint8_t kCaptureStampUuid[16] = {0x6d, 0x65, 0x73, 0x68, 0x63, 0x61, 0x6c, 0x6c,
                                                  0x2d, 0x63, 0x61, 0x70, 0x74, 0x75, 0x72, 0x65};

// Attaches the stamp to a frame about to be encoded (libx264 with udu_sei=1 writes it).
bool attach_capture_stamp(AVFrame* frame, int64_t wall_us);
// Reads a stamp from a decoded frame's side data, if it carries ours.
std::optional<int64_t> read_capture_stamp(const AVFrame* frame);
// The SEI payload itself (UUID + time), for tests on fixed bytes.
std::optional<int64_t> parse_capture_stamp(std::span<const uint8_t> payload);

}  // namespace meshcall
