// TokenBucket: a rate limit with a burst allowance, in bytes per second. Single-threaded
// (one per peer, on the event loop); time is passed in, so tests need no clock.
#pragma once

#include <algorithm>
#include <cstdint>

namespace meshcall {

class TokenBucket {
  public:
    TokenBucket(double rate_per_s, double burst)
        : rate_(rate_per_s), burst_(burst), tokens_(burst) {}

    // Takes `cost` tokens at monotonic time `now_us` if there are enough; false otherwise.
    bool take(double cost, int64_t now_us) {
        if (last_us_ >= 0 && now_us > last_us_)
            tokens_ = std::min(burst_, tokens_ + rate_ * double(now_us - last_us_) / 1e6);
        last_us_ = now_us;
        if (tokens_ < cost) return false;
        tokens_ -= cost;
        return true;
    }

  private:
    double rate_, burst_, tokens_;
    int64_t last_us_ = -1;
};

}  // namespace meshcall
