// RateController: how fast we may send to one receiver, from what it reports (GCC in spirit,
// draft-ietf-rmcat-gcc-02 and WebRTC's AimdRateControl and SendSideBandwidthEstimation).
//
// Two estimates; the target is the smaller, within [min, max]:
// - delay-based, a state machine on the receiver's DelaySignal. Overuse: decrease to 0.85 x the
//   rate it received, then hold. Normal: increase, multiplicatively (8 % a second) while the
//   link's capacity is unknown, additively (about one datagram per response time a second) near
//   the rate of the last decrease, where the queue built before. Underuse: hold (the queues are
//   draining; what we send now is what drains them).
// - loss-based, a ceiling that only loss lowers: over 10 % loss, the target x (1 - 0.5 x loss)
//   (at most once per 200 ms); under 2 %, the ceiling rises 5 % per second of feedback; between,
//   it holds.
// Increases never run ahead of what the receiver gets: at most to 1.5 x its received rate + 10
// kbit/s (as WebRTC), so a sender sending less than the target (a small layer, silence) does not
// inflate it without bound; application_limited() says the target is held there. A report of
// normal delay and under 2 % loss shows the path carried what was received: an estimate below
// that rate is raised to it at once (the result of a probe: the sender tried a larger layer).
//
// No feedback (a receiver that never reports: a stock player, an old meshcall; or a report
// lost): the target stays where it is. It neither decreases nor increases: the caller decides
// what silence means (the receiver's link to us may be gone; the sender's send-queue gate still
// guards its own upload).
//
// Threads: the send thread only (checked in debug builds).
#pragma once

#include <cstdint>

#include "daemon/util/delay_signal.hpp"
#include "daemon/util/thread_check.hpp"

namespace meshcall {

struct ReceiverFeedback {
    int64_t at_us = 0;   // when the sender got it (monotonic)
    double rx_kbps = 0;  // what the receiver says it got from us (video + sound)
    double loss_fraction = 0;
    DelaySignal delay = DelaySignal::normal;
};

class RateController {
  public:
    enum class State : uint8_t { increase, hold, decrease };

    RateController(double start_kbps, double min_kbps, double max_kbps);

    void on_feedback(const ReceiverFeedback& f);
    double target_kbps() const;

    // The last increase was held back by the cap on the received rate (we send less than the
    // target allows): a larger layer than the target pays for may be tried (a probe). Its
    // result comes back as the received rate in the next reports.
    bool application_limited() const { return application_limited_; }
    // For status and tests.
    State state() const { return state_; }
    double delay_based_kbps() const { return delay_kbps_; }
    double loss_based_kbps() const { return loss_kbps_; }

  private:
    // Each returns whether its increase was held back by the received rate.
    bool update_delay_based(const ReceiverFeedback& f, double elapsed_s);
    bool update_loss_based(const ReceiverFeedback& f, double elapsed_s);
    // An increase from `from` to `to`, capped by what the receiver got (`capped`: it was).
    static double capped_increase(double from, double to, double rx_kbps, bool& capped);
    // The additive increase near the link's capacity, kbit/s per second.
    double additive_rate() const;
    // The link's capacity, learnt from the received rates at overuse (WebRTC's
    // LinkCapacityEstimator): an average and a normalised variance.
    void learn_capacity(double rx_kbps);
    double capacity_upper() const;
    double capacity_lower() const;

    ThreadCheck thread_;
    bool bound_ = false;
    void check_thread();

    double min_kbps_, max_kbps_;
    double delay_kbps_, loss_kbps_, target_kbps_;
    State state_ = State::increase;
    bool have_feedback_ = false;
    int64_t last_feedback_us_ = 0;
    int64_t last_loss_cut_us_ = 0;
    bool have_loss_cut_ = false;
    bool application_limited_ = false;
    bool have_capacity_ = false;
    double capacity_kbps_ = 0, capacity_deviation_ = 0.4;
};

}  // namespace meshcall
