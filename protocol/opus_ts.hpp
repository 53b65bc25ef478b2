// Opus in MPEG-TS (ETSI TS 102 366 annex): splits a PES payload into Opus packets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace meshcall {

// Each Opus access unit in TS starts with a control header: 11 bits 0x3ff, start/end
// trim flags, a control-extension flag, a size coded as a run of 0xff bytes plus a last
// byte, then the optional trims and extension. Returns the Opus packets in order;
// a malformed header ends the list (what came before is kept).
std::vector<std::span<const uint8_t>> split_opus_ts(std::span<const uint8_t> pes_payload);

}  // namespace meshcall
