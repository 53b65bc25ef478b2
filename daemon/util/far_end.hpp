// FarEnd: what the speaker plays, on its way to the microphone's echo canceller. Lock-free (a
// SampleRing of 250 ms): writer: the one audio thread (AudioOutput's SDL callback or
// PulseSpeaker's thread) pushes exactly the samples it hands to the device; reader: the
// microphone's capture thread takes them in 10 ms blocks for AudioProcessor::reverse(). When the
// reader falls behind (or there is none), the oldest sound goes: the canceller wants what plays
// now. Neither side locks, allocates or blocks.
#pragma once

#include <cstddef>
#include <span>

#include "daemon/util/sample_ring.hpp"

namespace meshcall {

class FarEnd {
  public:
    static constexpr std::size_t kCapacity = 48000 / 4;  // 250 ms
    static constexpr std::size_t kBlock = 48000 / 100;   // 10 ms

    // Audio thread.
    void push(std::span<const float> played) { ring_.write(played); }
    // Capture thread: whole blocks waiting now.
    std::size_t blocks() const { return ring_.size() / kBlock; }
    // Capture thread: the oldest block into `block` (kBlock samples); false if none is whole.
    bool pop_block(std::span<float> block) {
        if (ring_.size() < kBlock) return false;
        return ring_.read(block.first(kBlock)) == kBlock;
    }
    // Samples the writer had to let go (the reader fell behind).
    uint64_t dropped() const { return ring_.dropped(); }

  private:
    SampleRing ring_{kCapacity};
};

}  // namespace meshcall
