// SoundOutput: where one peer's decoded sound (mono float, 48 kHz) leaves the receiver: its
// SampleRing, with the level of the last block in PeerMediaStats. Writer: that peer's receiver
// thread; the ring is read by the audio callback, the level by anyone.
#pragma once

#include <cstddef>
#include <span>

#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

class SoundOutput {
  public:
    SoundOutput(SampleRing& ring, PeerMediaStats& stats) : ring_(ring), stats_(stats) {}

    // Writes a block to the ring and sets audio_level to its RMS (nothing for an empty block).
    void publish(std::span<const float> mono);
    // Samples waiting in the ring.
    std::size_t buffered() const { return ring_.size(); }

  private:
    SampleRing& ring_;
    PeerMediaStats& stats_;
};

}  // namespace meshcall
