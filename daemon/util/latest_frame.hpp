// LatestFrame: a one-frame slot between a producer thread and the viewer. Latest wins;
// nothing queues, so a slow reader never builds up delay. A frame may be published for a later
// moment (lip sync: shown when its sound is heard): it waits in a short queue of held frames and
// becomes the slot's frame when a reader looks (or the producer publishes) at or after that
// moment; the queue is bounded (kMaxHeld: a full one lets its oldest through at once).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

class LatestFrame {
  public:
    static constexpr std::size_t kMaxHeld = 24;

    // Producer: replaces the slot's frame now (takes a new reference to `frame`'s buffers).
    void publish(const AVFrame* frame);
    // Producer: the frame replaces the slot's at monotonic time `show_at_us`
    // (av_gettime_relative); `target_us` is when it should ideally be shown (its lateness is
    // measured against it). Frames are shown in the order published.
    void publish_at(const AVFrame* frame, int64_t show_at_us, int64_t target_us);
    // Producer: the source has no picture now (video off, peer gone); held frames are dropped.
    void clear();

    // Reader: a new reference to the held frame if it is newer than `seen`; updates `seen`.
    // Returns nullptr when nothing newer was published.
    FramePtr take_if_newer(uint64_t& seen) const;
    // Reader: the generation counter (0 = never published; changes with every publish/clear).
    uint64_t generation() const;
    bool has_frame() const;
    // How much later than its target the last scheduled frame became the slot's (µs, smoothed;
    // negative: earlier). Nothing before the first. Any thread.
    std::optional<int64_t> lateness_us() const;

  private:
    struct Held {
        FramePtr frame;
        int64_t show_at_us, target_us;
    };
    // Under the lock: the held frames whose moment has come (or that overflow) become the slot's.
    void promote(int64_t now_us) const;
    void show(FramePtr frame, int64_t now_us, std::optional<int64_t> target_us) const;

    mutable std::mutex mutex_;
    mutable FramePtr frame_;
    mutable std::deque<Held> held_;
    mutable uint64_t generation_ = 0;
    mutable bool have_lateness_ = false;
    mutable double lateness_us_ = 0;
};

}  // namespace meshcall
