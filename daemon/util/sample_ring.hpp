// SampleRing: a peer's decoded sound (mono float, 48 kHz) on its way to the mixer. Bounded:
// when the reader falls behind, the oldest samples go. Writer: that peer's receiver thread;
// reader: the audio callback.
#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <vector>

namespace meshcall {

inline constexpr std::size_t kSampleRingCapacity = 48000 / 2;  // half a second

class SampleRing {
  public:
    explicit SampleRing(std::size_t capacity) : buffer_(capacity) {}

    void write(std::span<const float> samples);
    // Reads up to out.size() samples; returns how many.
    std::size_t read(std::span<float> out);
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::vector<float> buffer_;
    std::size_t start_ = 0, size_ = 0;
};

}  // namespace meshcall
