// CaptureStamp: the capture time carried in-band with each video frame, as the payload of an
// H.264 user-data-unregistered SEI: a 16-byte UUID, then 8 bytes of wall-clock microseconds,
// big-endian. Stock players skip SEI they don't know. Pure bytes; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace meshcall {

inline constexpr uint8_t kCaptureStampUuid[16] = {0x6d, 0x65, 0x73, 0x68, 0x63, 0x61, 0x6c, 0x6c,
                                                  0x2d, 0x63, 0x61, 0x70, 0x74, 0x75, 0x72, 0x65};
inline constexpr std::size_t kCaptureStampSize = 24;

// The SEI payload for a capture time.
std::array<uint8_t, kCaptureStampSize> make_capture_stamp(int64_t wall_us);
// The capture time in a SEI payload, if it is ours.
std::optional<int64_t> parse_capture_stamp(std::span<const uint8_t> payload);

}  // namespace meshcall
