// Deadline: one bound in time for a sequence of blocking steps (nat/): how long is left, whether
// it is over, and how long it gave (what a "no answer in ..." message names: a measured wait can
// read 999 ms for a 1 s bound). Any thread; a value, not shared.
#pragma once

#include <algorithm>
#include <chrono>

namespace meshcall {

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    explicit Deadline(std::chrono::milliseconds from_now)
        : at_(Clock::now() + from_now), given_(from_now) {}

    Clock::time_point at() const { return at_; }
    bool expired() const { return Clock::now() >= at_; }
    // The time it gave when it was made.
    std::chrono::milliseconds given() const { return given_; }
    // What is left, never negative, rounded up: a wait for remaining() does not end before it.
    std::chrono::milliseconds remaining() const {
        return std::max(std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now()),
                        std::chrono::milliseconds(0));
    }
    // The earlier of this deadline and `from_now` from now.
    Deadline within(std::chrono::milliseconds from_now) const {
        const Clock::time_point now = Clock::now();
        if (now + from_now < at_) return Deadline(now + from_now, from_now);
        return Deadline(at_, given_);
    }

  private:
    Deadline(Clock::time_point at, std::chrono::milliseconds given) : at_(at), given_(given) {}

    Clock::time_point at_;
    std::chrono::milliseconds given_;
};

}  // namespace meshcall
