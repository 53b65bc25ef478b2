// RateController on simulated feedback: a report every 250 ms from a receiver behind a link of
// a given capacity, which says overuse while we send more than the link carries.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

#include "daemon/send/rate_controller.hpp"

using namespace meshcall;

namespace {

constexpr int64_t kReportUs = 250'000;

// A sender that sends its target, a link of `capacity_kbps`, a receiver that reports what got
// through: overuse while the sender is over the capacity, normal otherwise; `loss` as given.
struct Link {
    RateController rc;
    double capacity_kbps;
    int64_t now_us = 0;
    Link(double start, double capacity) : rc(start, 50, 1045), capacity_kbps(capacity) {}
    void report(double loss = 0) {
        now_us += kReportUs;
        const double sent = rc.target_kbps();
        ReceiverFeedback f;
        f.at_us = now_us;
        f.rx_kbps = std::min(sent, capacity_kbps) * (1 - loss);
        f.loss_fraction = loss;
        f.delay = sent > capacity_kbps ? DelaySignal::overuse : DelaySignal::normal;
        rc.on_feedback(f);
    }
    // Reports until the target reaches `kbps` or `seconds` pass; the seconds it took (or more).
    double seconds_until_at_least(double kbps, double seconds) {
        const int64_t start = now_us;
        while (rc.target_kbps() < kbps && now_us - start < int64_t(seconds * 1e6)) report();
        return double(now_us - start) / 1e6;
    }
};

ReceiverFeedback feedback(int64_t at_us, double rx, double loss, DelaySignal delay) {
    ReceiverFeedback f;
    f.at_us = at_us;
    f.rx_kbps = rx;
    f.loss_fraction = loss;
    f.delay = delay;
    return f;
}

}  // namespace

TEST_CASE("rate controller: a clean link climbs from the start to the maximum within 20 s") {
    Link link(300, 10'000);
    CHECK(link.rc.target_kbps() == 300);
    const double took = link.seconds_until_at_least(1045, 30);
    MESSAGE("300 -> 1045 kbit/s took " << took << " s");
    CHECK(took <= 20);
    CHECK(link.rc.target_kbps() == 1045);
    for (int i = 0; i < 40; ++i) link.report();
    CHECK(link.rc.target_kbps() == 1045);  // the maximum holds
}

TEST_CASE("rate controller: a 600 kbit/s bottleneck brings the target under it within 3 s") {
    Link link(1045, 600);
    int reports = 0;
    while (link.rc.target_kbps() > 600 && reports < 12) {
        link.report();
        ++reports;
    }
    CHECK(link.rc.target_kbps() <= 600);
    CHECK(reports <= 12);
    CHECK(link.rc.state() == RateController::State::hold);
    // Then it stays near the bottleneck: probing up slowly, cut back at each overuse; neither
    // far above nor collapsed.
    double sum = 0, lowest = 1e9, highest = 0;
    for (int i = 0; i < 120; ++i) {
        link.report();
        sum += link.rc.target_kbps();
        lowest = std::min(lowest, link.rc.target_kbps());
        highest = std::max(highest, link.rc.target_kbps());
    }
    MESSAGE("over 30 s: mean " << sum / 120 << ", " << lowest << " .. " << highest);
    CHECK(sum / 120 > 450);
    CHECK(sum / 120 < 620);
    CHECK(lowest > 400);
    CHECK(highest < 700);
}

TEST_CASE("rate controller: 20 percent loss cuts the target - it climbs back within 10 s") {
    Link link(1045, 10'000);
    for (int i = 0; i < 8; ++i) link.report();
    REQUIRE(link.rc.target_kbps() == 1045);
    double before = link.rc.target_kbps();
    for (int i = 0; i < 4; ++i) {  // a second of 20 % loss: x 0.9 a report
        link.report(0.2);
        CHECK(link.rc.target_kbps() < before);
        CHECK(link.rc.target_kbps() == doctest::Approx(before * 0.9));
        before = link.rc.target_kbps();
    }
    CHECK(link.rc.target_kbps() < 0.7 * 1045);
    // 5 % loss: between 2 and 10 %: holds.
    link.report(0.05);
    CHECK(link.rc.target_kbps() == doctest::Approx(before));
    const double took = link.seconds_until_at_least(1045, 20);
    MESSAGE("recovery took " << took << " s");
    CHECK(took <= 10);
}

TEST_CASE(
    "rate controller: no feedback keeps the target - a late report grows it by one second's worth") {
    RateController rc(700, 50, 1045);
    CHECK(rc.target_kbps() == 700);  // never a report: the start stays
    rc.on_feedback(feedback(1'000'000, 700, 0, DelaySignal::normal));
    const double held = rc.target_kbps();
    CHECK(held == 700);  // the first report has no elapsed time to grow over
    // A minute of silence changes nothing; the next report counts as at most one second.
    CHECK(rc.target_kbps() == held);
    rc.on_feedback(feedback(61'000'000, 700, 0, DelaySignal::normal));
    CHECK(rc.target_kbps() > held);
    CHECK(rc.target_kbps() <= held * 1.08 + 1e-9);
}

TEST_CASE("rate controller: a sender sending less than its target does not inflate it") {
    RateController rc(150, 50, 1045);
    // L0 and sound: 112 kbit/s received, all normal, for a minute.
    for (int64_t t = 1; t <= 240; ++t)
        rc.on_feedback(feedback(t * kReportUs, 112, 0, DelaySignal::normal));
    CHECK(rc.target_kbps() <= 1.5 * 112 + 10 + 1e-9);
    CHECK(rc.target_kbps() >= 150);  // not decreased either
    CHECK(rc.application_limited());
    // A target above that cap is not lowered by it (only congestion lowers).
    RateController high(1045, 50, 1045);
    for (int64_t t = 1; t <= 40; ++t)
        high.on_feedback(feedback(t * kReportUs, 112, 0, DelaySignal::normal));
    CHECK(high.target_kbps() == 1045);
    // A probe: a larger layer tried, received clean: the target takes that rate at once.
    rc.on_feedback(feedback(241 * kReportUs, 600, 0, DelaySignal::normal));
    CHECK(rc.target_kbps() >= 600);
    CHECK_FALSE(rc.application_limited());
}

TEST_CASE("rate controller: underuse holds - overuse with nothing received goes to the minimum") {
    RateController rc(500, 50, 1045);
    rc.on_feedback(feedback(250'000, 500, 0, DelaySignal::normal));
    for (int64_t t = 2; t < 20; ++t)
        rc.on_feedback(feedback(t * kReportUs, 500, 0, DelaySignal::underuse));
    CHECK(rc.target_kbps() == 500);
    CHECK(rc.state() == RateController::State::hold);
    rc.on_feedback(feedback(20 * kReportUs, 500, 0, DelaySignal::normal));
    CHECK(rc.state() == RateController::State::increase);
    CHECK(rc.target_kbps() > 500);
    rc.on_feedback(feedback(21 * kReportUs, 0, 0, DelaySignal::overuse));
    CHECK(rc.target_kbps() == 50);
}

TEST_CASE("rate controller: near the rate of the last decrease, increases are additive") {
    RateController rc(1045, 50, 1045);
    rc.on_feedback(feedback(250'000, 600, 0, DelaySignal::overuse));  // capacity ~600 learnt
    CHECK(rc.target_kbps() == doctest::Approx(510));
    double last = rc.target_kbps();
    for (int64_t t = 2; t <= 9; ++t) {  // two seconds of normal
        rc.on_feedback(feedback(t * kReportUs, last, 0, DelaySignal::normal));
        last = rc.target_kbps();
    }
    // Additive: some tens of kbit/s a second, far less than 8 % a second (41 kbit/s at 510).
    CHECK(last > 510);
    CHECK(last < 510 + 2 * 41);
}
