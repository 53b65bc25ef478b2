// RateController: delay- and loss-based send rate towards one receiver.
#include "daemon/send/rate_controller.hpp"

#include <algorithm>
#include <cmath>

namespace meshcall {

namespace {
constexpr double kDecreaseFactor = 0.85;      // of the received rate, at overuse
constexpr double kMultiplicativePerS = 1.08;  // far from the capacity
constexpr double kLossIncreasePerS = 1.05;
constexpr double kLossHigh = 0.10, kLossLow = 0.02;
constexpr int64_t kLossCutIntervalUs = 200'000;  // feedback bunched closer cuts once
constexpr double kCapFactor = 1.5, kCapHeadroomKbps = 10;
constexpr double kMaxElapsedS = 1;  // a longer silence counts as one second of increase
// The additive increase: about one datagram per response time (a report every 250 ms and a
// round trip we do not measure: WebRTC's rtt + 100 ms with a 100 ms rtt, plus the report's
// own wait), at least 4 kbit/s a second.
constexpr double kResponseS = 0.35;
constexpr double kDatagramKbit = 1316 * 8 / 1000.0;
constexpr double kFramesPerS = 30;
constexpr double kMinAdditiveKbpsPerS = 4;
}  // namespace

RateController::RateController(double start_kbps, double min_kbps, double max_kbps)
    : min_kbps_(min_kbps),
      max_kbps_(std::max(min_kbps, max_kbps)),
      delay_kbps_(std::clamp(start_kbps, min_kbps_, max_kbps_)),
      loss_kbps_(max_kbps_),
      target_kbps_(delay_kbps_) {}

void RateController::check_thread() {
    if (!bound_) {
        thread_.bind();
        bound_ = true;
    }
    MESHCALL_ASSERT_THREAD(thread_);
}

double RateController::target_kbps() const {
    return target_kbps_;
}

void RateController::on_feedback(const ReceiverFeedback& f) {
    check_thread();
    double elapsed_s = 0;
    if (have_feedback_ && f.at_us > last_feedback_us_)
        elapsed_s = std::min(double(f.at_us - last_feedback_us_) / 1e6, kMaxElapsedS);
    if (!have_feedback_ || f.at_us > last_feedback_us_) last_feedback_us_ = f.at_us;
    have_feedback_ = true;

    const bool delay_capped = update_delay_based(f, elapsed_s);
    const bool loss_capped = update_loss_based(f, elapsed_s);
    // Held back by the received rate: whichever estimate makes the target.
    application_limited_ = delay_kbps_ <= loss_kbps_ ? delay_capped : loss_capped;
    target_kbps_ = std::clamp(std::min(delay_kbps_, loss_kbps_), min_kbps_, max_kbps_);
}

double RateController::capped_increase(double from, double to, double rx_kbps, bool& capped) {
    const double cap = kCapFactor * rx_kbps + kCapHeadroomKbps;
    capped = to > from && to > cap;
    return capped ? std::max(from, cap) : to;
}

bool RateController::update_delay_based(const ReceiverFeedback& f, double elapsed_s) {
    bool capped = false;
    switch (f.delay) {
        case DelaySignal::overuse:
            state_ = State::decrease;
            break;
        case DelaySignal::underuse:
            state_ = State::hold;
            break;
        case DelaySignal::normal:
            if (state_ == State::hold) state_ = State::increase;
            break;
    }
    if (state_ == State::increase) {
        // What got through with steady delay and little loss, the path carried.
        if (f.loss_fraction < kLossLow && f.rx_kbps > delay_kbps_)
            delay_kbps_ = std::min(f.rx_kbps, max_kbps_);
        // Well above the rate of the last decrease: whatever limited the link then has gone.
        if (have_capacity_ && f.rx_kbps > capacity_upper()) have_capacity_ = false;
        const double grown = have_capacity_
                                 ? delay_kbps_ + additive_rate() * elapsed_s
                                 : delay_kbps_ * std::pow(kMultiplicativePerS, elapsed_s);
        delay_kbps_ = std::min(capped_increase(delay_kbps_, grown, f.rx_kbps, capped), max_kbps_);
    } else if (state_ == State::decrease) {
        double lower = kDecreaseFactor * f.rx_kbps;
        // Received more than we aim for (a burst, a report from before the last decrease):
        // the capacity learnt before is the better guide.
        if (lower > delay_kbps_ && have_capacity_) lower = kDecreaseFactor * capacity_kbps_;
        if (lower < delay_kbps_) delay_kbps_ = std::max(lower, min_kbps_);
        learn_capacity(f.rx_kbps);
        state_ = State::hold;
    }
    return capped;
}

bool RateController::update_loss_based(const ReceiverFeedback& f, double elapsed_s) {
    bool capped = false;
    if (f.loss_fraction > kLossHigh) {
        if (have_loss_cut_ && f.at_us - last_loss_cut_us_ < kLossCutIntervalUs) return false;
        have_loss_cut_ = true;
        last_loss_cut_us_ = f.at_us;
        const double from = std::min(loss_kbps_, target_kbps_);
        loss_kbps_ = std::max(from * (1 - 0.5 * std::min(f.loss_fraction, 1.0)), min_kbps_);
    } else if (f.loss_fraction < kLossLow) {
        if (f.delay == DelaySignal::normal && f.rx_kbps > loss_kbps_)
            loss_kbps_ = std::min(f.rx_kbps, max_kbps_);
        const double grown = loss_kbps_ * std::pow(kLossIncreasePerS, elapsed_s);
        loss_kbps_ = std::min(capped_increase(loss_kbps_, grown, f.rx_kbps, capped), max_kbps_);
    }
    return capped;
}

double RateController::additive_rate() const {
    const double frame_kbit = delay_kbps_ / kFramesPerS;
    const double datagrams = std::max(1.0, std::ceil(frame_kbit / kDatagramKbit));
    return std::max(kMinAdditiveKbpsPerS, frame_kbit / datagrams / kResponseS);
}

void RateController::learn_capacity(double rx_kbps) {
    if (have_capacity_ && rx_kbps < capacity_lower()) have_capacity_ = false;
    constexpr double kAlpha = 0.05;
    if (!have_capacity_) {
        have_capacity_ = true;
        capacity_kbps_ = rx_kbps;
    } else {
        capacity_kbps_ = (1 - kAlpha) * capacity_kbps_ + kAlpha * rx_kbps;
    }
    const double error = capacity_kbps_ - rx_kbps;
    capacity_deviation_ =
        (1 - kAlpha) * capacity_deviation_ + kAlpha * error * error / std::max(capacity_kbps_, 1.0);
    capacity_deviation_ = std::clamp(capacity_deviation_, 0.4, 2.5);
}

double RateController::capacity_upper() const {
    return capacity_kbps_ + 3 * std::sqrt(capacity_kbps_ * capacity_deviation_);
}

double RateController::capacity_lower() const {
    return std::max(0.0, capacity_kbps_ - 3 * std::sqrt(capacity_kbps_ * capacity_deviation_));
}

}  // namespace meshcall
