// MixTap: a copy of the mix for the call's recording (daemon/record), taken from the audio thread
// while a recording wants it.
//
// Threading: push() is called by the one audio thread that pulls the mixer (AudioMixer::mix calls
// it) and is real-time safe: one atomic load, then a copy into a lock-free SpscRing (2 s); no
// lock, no I/O, no allocation. The recording's thread is the only reader: set_on(), read() and
// discard(). It lives as long as the session, so the audio thread never sees it go away.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "daemon/util/spsc_ring.hpp"

namespace meshcall {

class MixTap {
  public:
    static constexpr std::size_t kRingSamples = 2 * 48000;  // 2 s at 48 kHz

    // Audio thread. Copies `mix` while on; drops (and counts) what does not fit.
    void push(std::span<const float> mix) {
        if (!on_.load(std::memory_order_acquire)) return;
        const std::size_t n = ring_.write(mix);
        if (n < mix.size()) dropped_.fetch_add(mix.size() - n, std::memory_order_relaxed);
    }

    // Reader thread.
    void set_on(bool on) { on_.store(on, std::memory_order_release); }
    std::size_t read(std::span<float> out) { return ring_.read(out); }
    void discard() { ring_.skip(ring_.size()); }

    // Any thread: samples the reader was too slow for.
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  private:
    SpscRing<float> ring_{kRingSamples};
    std::atomic<bool> on_{false};
    std::atomic<uint64_t> dropped_{0};
};

}  // namespace meshcall
