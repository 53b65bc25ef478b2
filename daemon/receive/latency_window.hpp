// LatencyWindow: the last few hundred capture-to-decode latencies of one peer's pictures and
// their percentiles. Pure; one thread: that peer's receiver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace meshcall {

class LatencyWindow {
  public:
    static constexpr std::size_t kCapacity = 300;  // ~10 s at 30 fps

    struct Percentiles {
        int64_t p50 = 0, p95 = 0, p99 = 0;
    };

    // Adds one latency (µs), forgetting the oldest beyond kCapacity.
    void add(int64_t latency_us);
    // Nearest-rank percentiles of what the window holds (the value at index n·p/100 of the
    // sorted window, at most the last); nothing while it is empty.
    std::optional<Percentiles> percentiles() const;
    std::size_t size() const { return values_.size(); }

  private:
    std::deque<int64_t> values_;
};

}  // namespace meshcall
