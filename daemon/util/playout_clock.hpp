// PlayoutClock: how long sound handed to the mixer takes to be heard, beyond what waits in the
// peer's own ring: the output's buffering (the sound device's, or the headless sink's block).
// Unset while nothing plays the mix (no device, no recording): then nobody's picture is held for
// lip sync. Written by AudioOutput (main thread, when the output opens or closes), read by the
// receivers' threads (AvSync). Relaxed atomics: a value a few ms stale is harmless.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace meshcall {

class PlayoutClock {
  public:
    void set_output_latency_us(int64_t us) { latency_us_.store(us, std::memory_order_relaxed); }
    void clear() { latency_us_.store(-1, std::memory_order_relaxed); }
    // The output's latency, or nothing when no output plays the mix.
    std::optional<int64_t> output_latency_us() const {
        const int64_t us = latency_us_.load(std::memory_order_relaxed);
        return us < 0 ? std::nullopt : std::optional<int64_t>(us);
    }

  private:
    std::atomic<int64_t> latency_us_{-1};
};

}  // namespace meshcall
