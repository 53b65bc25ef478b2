// AvSync: the stream-time to heard-time map of one peer's sound, and pictures scheduled on it.
#include "daemon/receive/av_sync.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace meshcall {

namespace {
// Smoothing of the map: the ring's fill moves by a device period (~10 ms) from block to block.
constexpr double kAlpha = 1.0 / 16;
// A map this far from the smoothed one is a new timing (a jitter-buffer resize, a jump): taken.
constexpr double kJumpUs = 150'000;
}  // namespace

void AvSync::on_sound(int64_t pts_us, std::size_t queued, int64_t now_us) {
    const auto output = playout_ ? playout_->output_latency_us() : std::nullopt;
    if (!output) {
        have_ = false;
        return;
    }
    const int64_t heard = now_us + static_cast<int64_t>(queued) * 1'000'000 / 48'000 + *output;
    const double offset = static_cast<double>(heard - pts_us);
    if (!have_ || std::fabs(offset - offset_us_) > kJumpUs)
        offset_us_ = offset;
    else
        offset_us_ += kAlpha * (offset - offset_us_);
    have_ = true;
    last_sound_us_ = now_us;
}

AvSync::Schedule AvSync::schedule_picture(int64_t pts_us, int64_t now_us) const {
    const bool timed = have_ && now_us - last_sound_us_ < kSoundTimeoutUs &&
                       playout_ && playout_->output_latency_us();
    active_.store(timed, std::memory_order_relaxed);
    if (!timed) return {now_us, now_us};
    const int64_t target = pts_us + static_cast<int64_t>(offset_us_);
    // A timestamp off the sound's timeline (a stream's first packets before the demuxer has
    // unwrapped them, a sender's jump) says nothing: that picture is shown at once.
    if (std::llabs(target - now_us) > kImplausibleUs) return {now_us, now_us};
    return {std::clamp(target, now_us, now_us + kMaxHoldUs), target};
}

}  // namespace meshcall
