// AudioReorder: timestamp order, duplicates and gaps of one peer's audio packets.
#include "daemon/receive/audio_reorder.hpp"

namespace meshcall {

AudioReorder::Push AudioReorder::push(Packet p) {
    if (p.pts == kNoPts) p.pts = pushed_end_ != kNoPts ? pushed_end_ : expected_.value_or(0);
    pushed_end_ = p.pts + p.duration;
    if (expected_) {
        const bool jumped = p.pts > *expected_ + kJump || p.pts + p.duration < *expected_ - kJump;
        const bool stale = !jumped && p.pts + p.duration <= *expected_ + kTolerance;
        if (stale) ++counters_.stale;
        if (jumped || (stale && ++stale_run_ >= kStaleRestart)) {
            // The sender's timeline moved (a restart, a wrap, a clock step): start over from
            // this packet rather than drop everything until the old one is caught up with.
            held_.clear();
            expected_.reset();
            stale_run_ = 0;
            ++counters_.restarts;
            held_.emplace(p.pts, std::move(p));
            return Push::restart;
        }
        if (stale) return Push::stale;
    }
    stale_run_ = 0;
    if (held_.contains(p.pts)) {
        ++counters_.stale;
        return Push::duplicate;
    }
    if (!held_.empty() && p.pts < held_.rbegin()->first) ++counters_.reordered;
    held_.emplace(p.pts, std::move(p));
    return Push::queued;
}

std::optional<AudioReorder::Step> AudioReorder::next(int64_t now_us, bool starving) {
    if (held_.empty()) return std::nullopt;
    auto first = held_.begin();
    if (!expected_) expected_ = first->first;
    const int64_t gap = first->first - *expected_;
    if (gap > kTolerance) {
        const bool give_up =
            starving || held_.size() >= kMaxHeld || now_us - first->second.arrived_us >= kMaxWaitUs;
        if (!give_up) return std::nullopt;
        expected_ = first->first;
        if (gap <= kMaxConceal) {
            // The packet stays held: the step after this one decodes it.
            ++counters_.concealed;
            counters_.concealed_samples += static_cast<uint64_t>(gap);
            return Step{Step::conceal, gap, first->second.bytes, first->first - gap};
        }
        // Too long to conceal (an outage, not a lost packet): the player runs dry, rebuffers.
    }
    current_ = std::move(first->second);
    held_.erase(first);
    expected_ = current_.pts + current_.duration;
    return Step{Step::decode, current_.duration, current_.bytes, current_.pts};
}

}  // namespace meshcall
