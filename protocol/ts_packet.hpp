// TS packets on the wire: datagram checks and continuity-counter loss accounting (ISO 13818-1).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace meshcall {

inline constexpr std::size_t kTsPacketSize = 188;
inline constexpr std::size_t kTsPerDatagram = 7;
inline constexpr std::size_t kMaxDatagram = kTsPacketSize * kTsPerDatagram;  // 1316
inline constexpr uint8_t kTsSync = 0x47;

struct TsHeader {
    uint16_t pid = 0;
    uint8_t continuity = 0;
    bool payload_start = false;
    bool has_payload = false;
    bool discontinuity = false;  // adaptation field's discontinuity_indicator
    bool random_access = false;  // adaptation field's random_access_indicator (a keyframe)
};

// Reads the header of one 188-byte packet; false if the sync byte is wrong.
bool parse_ts_header(std::span<const uint8_t, kTsPacketSize> packet, TsHeader& out);

// A media datagram is 1 to 7 whole TS packets, each starting with 0x47.
bool is_ts_datagram(std::span<const uint8_t> datagram);

// Counts TS packets lost in transit from continuity-counter gaps, per PID. A datagram holding a
// keyframe's first packet (PUSI and random_access_indicator) whose counter does not follow is a
// splice, not a loss: a sender moved us to another video layer (another muxer, other counters),
// which it does only at a keyframe; all PIDs start again there. (A real loss just before a
// keyframe is not counted either.)
// Not thread-safe: one tracker per peer, used by the thread that receives that peer.
class ContinuityTracker {
  public:
    // Feeds every packet of a datagram that passed is_ts_datagram().
    void add_datagram(std::span<const uint8_t> datagram);

    uint64_t packets() const { return packets_; }  // TS packets seen
    uint64_t lost() const { return lost_; }        // TS packets missing by the counters
    void reset();                                  // forget all PIDs (sender restarted)

  private:
    static constexpr std::size_t kPids = 8192;
    // 0xff: no packet seen on that PID yet.
    std::array<uint8_t, kPids> last_{};
    bool initialised_ = false;
    uint64_t packets_ = 0;
    uint64_t lost_ = 0;
};

}  // namespace meshcall
