// SampleRing: a peer's decoded sound (mono float, 48 kHz) on its way to the mixer. Lock-free
// (an SpscRing): writer: that peer's receiver thread; reader: the audio thread (the SDL
// callback or the headless sink, through AudioMixer). Neither side locks, allocates or blocks.
//
// It holds `capacity` samples (kSampleRingCapacity: half a second); when the reader falls
// behind, the oldest samples go. Since the writer may not move the reader's index, that
// happens in two places:
//  - the storage is twice the capacity, and the reader, before each read, skips the oldest
//    samples over `capacity`: so the reader always gets the newest `capacity` samples, as a
//    drop-oldest ring would give it;
//  - only if the reader has not read for a whole capacity's worth (or never reads: a call
//    without sound output) does the storage fill; then write() drops the newest samples it was
//    given. When the reader comes back it skips to the newest `capacity` still held.
// Both kinds of loss are counted in dropped().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "daemon/util/spsc_ring.hpp"

namespace meshcall {

inline constexpr std::size_t kSampleRingCapacity = 48000 / 2;  // half a second

class SampleRing {
  public:
    explicit SampleRing(std::size_t capacity);

    // Writer thread.
    void write(std::span<const float> samples);
    // Reader thread. Reads up to out.size() samples (the oldest of the newest `capacity`);
    // returns how many.
    std::size_t read(std::span<float> out);
    // Reader thread. Drops up to `count` of the oldest samples; returns how many.
    std::size_t discard(std::size_t count);
    // Either thread: samples the reader would get now, at most `capacity`.
    std::size_t size() const;

    std::size_t capacity() const { return capacity_; }
    // Samples lost because the reader fell behind (skipped as the oldest, or refused as the
    // newest while the storage was full).
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    // Writer: the sound just written came `samples` later than its time (it was concealed
    // ahead, and is played after all): the reader's jitter buffer should hold that much more.
    void note_late(std::size_t samples) { late_.fetch_add(samples, std::memory_order_relaxed); }
    // Reader: all the samples noted late so far.
    uint64_t late() const { return late_.load(std::memory_order_relaxed); }

  private:
    void skip_excess();  // reader

    std::size_t capacity_;
    SpscRing<float> ring_;
    std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> late_{0};
};

}  // namespace meshcall
