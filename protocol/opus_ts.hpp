// Opus in MPEG-TS (ETSI TS 102 366 annex): splits a PES payload into Opus packets, and says how
// big an Opus packet fits in a given number of TS packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace meshcall {

// Each Opus access unit in TS starts with a control header: 11 bits 0x3ff, start/end
// trim flags, a control-extension flag, a size coded as a run of 0xff bytes plus a last
// byte, then the optional trims and extension. Returns the Opus packets in order;
// a malformed header ends the list (what came before is kept).
std::vector<std::span<const uint8_t>> split_opus_ts(std::span<const uint8_t> pes_payload);

// The largest Opus packet that, as the one access unit of a PES (its control header without
// trims, a PES header with a PTS), fits in `ts_packets` TS packets whatever the adaptation
// field of the first one holds: the most libavformat's muxer writes there is a PCR and the
// random-access flag (8 bytes), as on every Opus PES of a stream without video. 159 bytes for
// one TS packet: a 40 ms packet at 31.8 kbit/s.
std::size_t opus_ts_capacity(std::size_t ts_packets);

}  // namespace meshcall
