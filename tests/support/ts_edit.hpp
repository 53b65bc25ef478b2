// Test support: reading and rewriting MPEG-TS datagrams on their way through a relay (PIDs,
// PES timestamps, continuity counters, PSI sections), and building TS packets from scratch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace meshcall::test {

constexpr std::size_t kTs = 188;

inline int ts_pid(const uint8_t* p) {
    return ((p[1] & 0x1f) << 8) | p[2];
}
inline bool ts_unit_start(const uint8_t* p) {
    return (p[1] & 0x40) != 0;
}
// Offset of the payload in a TS packet, or kTs if it has none.
std::size_t ts_payload_offset(const uint8_t* p);

// Does the datagram start a PES of audio (private stream 1, as Opus in TS, or MPEG audio)?
bool starts_audio_pes(std::span<const uint8_t> datagram);
// Does it start a PES of video (stream ids 0xE0-0xEF) on some PID; which one?
std::optional<int> video_pes_pid(std::span<const uint8_t> datagram);

// The PES PTS (and DTS) of a TS packet that starts a PES, if it has one.
std::optional<int64_t> pes_pts(const uint8_t* p);
// Adds `delta` (90 kHz) to the PTS and DTS of a TS packet that starts a PES, modulo 2^33.
// Returns whether there was one.
bool shift_pes_timestamps(uint8_t* p, int64_t delta);

// Renumbers the continuity counters of every payload-carrying packet it sees, per PID, in the
// order seen: packets added to a stream keep it continuous.
class ContinuityRenumber {
  public:
    void apply(uint8_t* p);

  private:
    std::array<uint8_t, 8192> next_{};
};

// One TS packet on `pid` carrying `payload` (at most 184 bytes), padded in front with
// adaptation-field stuffing; the continuity counter is left 0 (ContinuityRenumber sets it).
std::array<uint8_t, kTs> ts_packet(int pid, bool unit_start, std::span<const uint8_t> payload);
// A PSI section (table id .. last byte before the CRC) with its CRC-32/MPEG-2 appended, behind a
// pointer field: the payload of one TS packet.
std::vector<uint8_t> psi_payload(std::vector<uint8_t> section);

}  // namespace meshcall::test
