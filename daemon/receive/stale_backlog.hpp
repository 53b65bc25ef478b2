// StaleBacklog: bounds a peer's receive queue in time. A datagram that waited in the queue
// longer than kBoundUs is dropped unread (the video recovers at the sender's next intra
// refresh; sound that late would only be dropped by the reorder buffer); the drops are counted
// and grouped into episodes, so a backlog is reported once, not once per datagram. Pure logic,
// the clock passed in. One thread: that peer's receiver.
#pragma once

#include <cstdint>

namespace meshcall {

class StaleBacklog {
  public:
    static constexpr int64_t kBoundUs = 300'000;
    // An episode ends once this long has passed without a stale datagram.
    static constexpr int64_t kEpisodeGapUs = 2'000'000;

    enum class Verdict { keep, drop, drop_new_episode };

    // For each datagram taken from the queue: `arrival_us` when the event loop stamped it
    // (negative: not stamped, always kept), `now_us` on the same clock.
    Verdict judge(int64_t arrival_us, int64_t now_us);

    uint64_t drops() const { return drops_; }
    uint64_t episodes() const { return episodes_; }

  private:
    uint64_t drops_ = 0, episodes_ = 0;
    int64_t last_drop_us_ = -1;  // -1: no drop yet
};

}  // namespace meshcall
