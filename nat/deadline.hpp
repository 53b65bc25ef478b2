// Deadline: one bound in time for a sequence of blocking steps (nat/): how long is left, and
// whether it is over. Any thread; a value, not shared.
#pragma once

#include <algorithm>
#include <chrono>

namespace meshcall {

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    explicit Deadline(std::chrono::milliseconds from_now) : at_(Clock::now() + from_now) {}
    explicit Deadline(Clock::time_point at) : at_(at) {}

    Clock::time_point at() const { return at_; }
    bool expired() const { return Clock::now() >= at_; }
    // What is left, never negative.
    std::chrono::milliseconds remaining() const {
        return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now()),
                        std::chrono::milliseconds(0));
    }
    // The earlier of this deadline and `from_now` from now.
    Deadline within(std::chrono::milliseconds from_now) const {
        return Deadline(std::min(at_, Clock::now() + from_now));
    }

  private:
    Clock::time_point at_;
};

}  // namespace meshcall
