// DelayTrend: GCC's delay-based over-use detector (draft-ietf-rmcat-gcc-02 sections 5.3 and
// 5.4, in the form of WebRTC's TrendlineEstimator): from the send and arrival times of
// consecutive groups of datagrams (here: video frames), the trend of the one-way queuing delay,
// and what it says: the path's queues are filling (overuse), steady (normal) or draining
// (underuse). Pure; one thread: the one that owns it (ArrivalMonitor's, the event loop).
#pragma once

#include <cstdint>
#include <deque>

#include "daemon/util/delay_signal.hpp"

namespace meshcall {

class DelayTrend {
  public:
    // The last this many groups make the regression.
    static constexpr std::size_t kWindow = 20;

    // One group, in send order: when it was sent (the sender's clock, unwrapped, µs) and when its
    // last datagram arrived (ours, monotonic µs). A group sent no later than the one before is
    // ignored (the caller passes frames in send order; equal times are the same frame).
    void on_group(int64_t send_us, int64_t arrival_us);
    // Forgets everything (a sender restart): the next group is a first one again.
    void reset();

    DelaySignal signal() const { return signal_; }
    // The last modified trend (slope x min(groups, 60) x threshold gain), and the adaptive
    // threshold it is compared with, both in ms.
    double modified_trend() const { return modified_trend_; }
    double threshold() const { return threshold_; }
    // How many groups have been turned into deltas since the last reset.
    uint64_t deltas() const { return deltas_; }

  private:
    struct Point {
        double arrival_ms = 0;  // since the first group
        double smoothed_ms = 0;
    };
    void detect(double trend, double send_delta_ms, double now_ms);
    void update_threshold(double now_ms);

    bool have_previous_ = false;
    int64_t previous_send_us_ = 0, previous_arrival_us_ = 0, first_arrival_us_ = 0;
    uint64_t deltas_ = 0;
    double accumulated_ms_ = 0, smoothed_ms_ = 0;
    std::deque<Point> history_;
    double trend_ = 0, previous_trend_ = 0, modified_trend_ = 0;
    double threshold_ = 12.5;
    double last_threshold_update_ms_ = -1;
    double time_over_ms_ = -1;  // -1: not over the threshold
    int over_count_ = 0;
    DelaySignal signal_ = DelaySignal::normal;
};

}  // namespace meshcall
