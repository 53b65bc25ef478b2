// ReceiverReport: what a participant tells every other member about the streams it receives
// (issue 15), four times a second, on the presence PID (stock demuxers drop it unseen): for
// each sender it hears, the video layer it wants from it (config/video_layers.hpp: from the size
// it draws that sender's tile at) and how that sender's stream arrives (received rate, loss,
// the one-way delay signal of GCC's trendline detector). Each sender reads its own entry and
// runs its congestion controller for that receiver on it. Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/ts_packet.hpp"

namespace meshcall {

struct ReceiverReportEntry {
    uint8_t peer = 0;       // the sender's index in the room's peers
    uint8_t want_layer = 0;  // 0 = the smallest
    uint16_t rx_kbps = 0;   // what arrived from it over the last window (saturates)
    uint8_t loss = 0;       // lost datagrams over the last window, in 1/255
    uint8_t delay = 0;      // 0 normal, 1 overuse (delay growing), 2 underuse (a queue draining)

    friend bool operator==(const ReceiverReportEntry&, const ReceiverReportEntry&) = default;
};

// One TS packet (payload only, PUSI, kPeerMessagePid, `continuity`): "MCR1", version 1, a
// count, then 6 bytes an entry (peer, layer, rx_kbps big-endian, loss, delay); 0xff stuffing.
// At most kMaxEntries entries (a room has at most 16 peers); the rest are left out.
inline constexpr std::size_t kReceiverReportMaxEntries = 29;
std::array<uint8_t, kTsPacketSize> encode_receiver_report(std::span<const ReceiverReportEntry> entries,
                                                          uint8_t continuity);

// The entries of the last well-formed receiver report among a datagram's TS packets.
std::optional<std::vector<ReceiverReportEntry>> find_receiver_report(std::span<const uint8_t> datagram);

}  // namespace meshcall
