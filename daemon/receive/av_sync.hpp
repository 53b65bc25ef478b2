// AvSync: lip sync for one peer. Sound waits in the jitter buffer and the output before it is
// heard; a picture would be shown the moment it is decoded, so it would lead its sound by all of
// that. AvSync learns, from each block of sound queued, when sound of a given stream time will be
// heard (stream time -> monotonic clock, smoothed), and schedules each picture for the moment its
// sound is heard: the picture is held (LatestFrame::publish_at), never the sound. A picture whose
// moment has passed is shown at once; none is held longer than kMaxHoldUs. With no sound played
// (no output, muted, a silent sender), pictures are shown at once.
// Threads: on_sound, schedule_picture and reset on that peer's receiver thread; active() any.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "daemon/util/playout_clock.hpp"

namespace meshcall {

class AvSync {
  public:
    static constexpr int64_t kMaxHoldUs = 400'000;
    // Sound this long without a new block: its timing is no longer known.
    static constexpr int64_t kSoundTimeoutUs = 1'000'000;
    // A picture whose sound would be heard this far from now is not on the sound's timeline.
    static constexpr int64_t kImplausibleUs = 5'000'000;

    explicit AvSync(const PlayoutClock* playout) : playout_(playout) {}

    // A block of sound whose first sample has stream time `pts_us` was queued behind `queued`
    // samples (48 kHz) at monotonic time `now_us`.
    void on_sound(int64_t pts_us, std::size_t queued, int64_t now_us);

    struct Schedule {
        int64_t show_at_us;  // when to show it (now .. now + kMaxHoldUs)
        int64_t target_us;   // when its sound is heard (show_at when there is no sound timing)
    };
    Schedule schedule_picture(int64_t pts_us, int64_t now_us) const;

    // A new stream (the sender restarted): its timestamps start over.
    void reset() { have_ = false; }
    // Pictures are being scheduled against sound now.
    bool active() const { return active_.load(std::memory_order_relaxed); }

  private:
    const PlayoutClock* playout_;
    bool have_ = false;
    double offset_us_ = 0;  // heard time - stream time, smoothed
    int64_t last_sound_us_ = 0;
    mutable std::atomic<bool> active_{false};
};

}  // namespace meshcall
