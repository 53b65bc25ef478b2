// DelayTrend: the trendline over-use detector.
#include "daemon/receive/delay_trend.hpp"

#include <algorithm>
#include <cmath>

namespace meshcall {

namespace {
constexpr double kSmoothing = 0.9;    // of the accumulated delay (exponential filter)
constexpr double kThresholdGain = 4;  // the trend is scaled by this before the comparison
constexpr uint64_t kDeltasForFullGain = 60;
constexpr double kOveruseTimeMs = 10;       // over the threshold this long (and twice) is overuse
constexpr double kThresholdUp = 0.01;       // K_u: the threshold follows a larger trend quickly,
constexpr double kThresholdDown = 0.00018;  // K_d: and a smaller one slowly
constexpr double kThresholdMinMs = 6, kThresholdMaxMs = 600;
// A trend this far beyond the threshold is a spike (a sudden capacity drop): the threshold is
// not moved by it, or it would learn to ignore the next one.
constexpr double kMaxAdaptOffsetMs = 15;
constexpr double kMaxThresholdStepMs = 100;  // of time counted in one threshold update
// A delay step this large is no queue a trend can read (a stalled path, a suspended machine):
// start afresh, as WebRTC's InterArrival does for its 3 s arrival-time offset.
constexpr int64_t kResetDeltaUs = 3'000'000;

}  // namespace

void DelayTrend::reset() {
    *this = DelayTrend();
}

void DelayTrend::on_group(int64_t send_us, int64_t arrival_us) {
    if (!have_previous_) {
        have_previous_ = true;
        previous_send_us_ = send_us;
        previous_arrival_us_ = first_arrival_us_ = arrival_us;
        return;
    }
    if (send_us <= previous_send_us_) return;
    const int64_t send_delta_us = send_us - previous_send_us_;
    const int64_t arrival_delta_us = arrival_us - previous_arrival_us_;
    const int64_t delta_us = arrival_delta_us - send_delta_us;
    if (std::llabs(delta_us) > kResetDeltaUs) {
        reset();
        on_group(send_us, arrival_us);
        return;
    }
    previous_send_us_ = send_us;
    previous_arrival_us_ = arrival_us;
    ++deltas_;

    accumulated_ms_ += double(delta_us) / 1000;
    smoothed_ms_ = kSmoothing * smoothed_ms_ + (1 - kSmoothing) * accumulated_ms_;
    history_.push_back(Point{double(arrival_us - first_arrival_us_) / 1000, smoothed_ms_});
    if (history_.size() > kWindow) history_.pop_front();

    // The least-squares slope of smoothed delay over arrival time, once the window is full (a
    // line through two points is noise); until then the last one stands.
    double trend = trend_;
    if (history_.size() == kWindow) {
        double mean_x = 0, mean_y = 0;
        for (const Point& p : history_) {
            mean_x += p.arrival_ms;
            mean_y += p.smoothed_ms;
        }
        mean_x /= double(history_.size());
        mean_y /= double(history_.size());
        double num = 0, den = 0;
        for (const Point& p : history_) {
            num += (p.arrival_ms - mean_x) * (p.smoothed_ms - mean_y);
            den += (p.arrival_ms - mean_x) * (p.arrival_ms - mean_x);
        }
        if (den != 0) trend = num / den;
    }
    trend_ = trend;
    detect(trend, double(send_delta_us) / 1000, double(arrival_us - first_arrival_us_) / 1000);
}

void DelayTrend::detect(double trend, double send_delta_ms, double now_ms) {
    if (deltas_ < 2) {
        signal_ = DelaySignal::normal;
        return;
    }
    modified_trend_ = double(std::min(deltas_, kDeltasForFullGain)) * trend * kThresholdGain;
    if (modified_trend_ > threshold_) {
        // Over the threshold: overuse once it has lasted (counted in send time: half the gap
        // before the first group over it is assumed over too) and held for two groups, and the
        // trend is not already turning down.
        time_over_ms_ = time_over_ms_ < 0 ? send_delta_ms / 2 : time_over_ms_ + send_delta_ms;
        ++over_count_;
        if (time_over_ms_ > kOveruseTimeMs && over_count_ > 1 && trend >= previous_trend_) {
            time_over_ms_ = 0;
            over_count_ = 0;
            signal_ = DelaySignal::overuse;
        }
    } else if (modified_trend_ < -threshold_) {
        time_over_ms_ = -1;
        over_count_ = 0;
        signal_ = DelaySignal::underuse;
    } else {
        time_over_ms_ = -1;
        over_count_ = 0;
        signal_ = DelaySignal::normal;
    }
    previous_trend_ = trend;
    update_threshold(now_ms);
}

void DelayTrend::update_threshold(double now_ms) {
    if (last_threshold_update_ms_ < 0) last_threshold_update_ms_ = now_ms;
    const double magnitude = std::fabs(modified_trend_);
    if (magnitude > threshold_ + kMaxAdaptOffsetMs) {
        last_threshold_update_ms_ = now_ms;
        return;
    }
    const double k = magnitude < threshold_ ? kThresholdDown : kThresholdUp;
    const double step_ms = std::min(now_ms - last_threshold_update_ms_, kMaxThresholdStepMs);
    threshold_ += k * (magnitude - threshold_) * step_ms;
    threshold_ = std::clamp(threshold_, kThresholdMinMs, kThresholdMaxMs);
    last_threshold_update_ms_ = now_ms;
}

}  // namespace meshcall
