// SoundOutput: where one peer's decoded sound (mono float, 48 kHz) leaves the receiver: its
// SampleRing, with the level of the last block in PeerMediaStats, and the block's stream time
// to the peer's AvSync (lip sync). Writer: that peer's receiver thread; the ring is read by the
// audio callback, the level by anyone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "daemon/receive/av_sync.hpp"
#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

inline constexpr int64_t kNoSoundPts = INT64_MIN;

class SoundOutput {
  public:
    SoundOutput(SampleRing& ring, PeerMediaStats& stats, AvSync* sync = nullptr)
        : ring_(ring), stats_(stats), sync_(sync) {}

    // Writes a block to the ring and sets audio_level to its RMS (nothing for an empty block).
    // `pts_us`: the stream time of its first sample (kNoSoundPts: unknown).
    void publish(std::span<const float> mono, int64_t pts_us = kNoSoundPts);
    // Samples waiting in the ring.
    std::size_t buffered() const { return ring_.size(); }
    // The block about to be published comes `samples` late (SampleRing::note_late).
    void note_late(std::size_t samples) { ring_.note_late(samples); }

  private:
    SampleRing& ring_;
    PeerMediaStats& stats_;
    AvSync* sync_;
};

}  // namespace meshcall
