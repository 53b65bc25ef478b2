// AudioReorder: timestamp order, duplicates and gaps of one peer's audio packets.
#include "daemon/receive/audio_reorder.hpp"

#include <algorithm>

namespace meshcall {

AudioReorder::Push AudioReorder::push(Packet p) {
    if (p.pts == kNoPts) p.pts = pushed_end_ != kNoPts ? pushed_end_ : expected_.value_or(0);
    pushed_end_ = p.pts + p.duration;
    if (expected_) {
        const bool jumped = p.pts > *expected_ + kJump || p.pts + p.duration < *expected_ - kJump;
        // Sound concealed ahead was made up for a packet that may only be late: when it comes,
        // it is played after all (the player's buffer grows by what was made up).
        const bool made_up = ahead_from_ && p.pts >= *ahead_from_ - kTolerance;
        const bool stale = !jumped && !made_up && p.pts + p.duration <= *expected_ + kTolerance;
        if (stale) ++counters_.stale;
        if (jumped || (stale && ++stale_run_ >= kStaleRestart)) {
            // The sender's timeline moved (a restart, a wrap, a clock step): start over from
            // this packet rather than drop everything until the old one is caught up with.
            held_.clear();
            expected_.reset();
            stale_run_ = 0;
            ++counters_.restarts;
            arrived(p);
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
    arrived(p);
    held_.emplace(p.pts, std::move(p));
    return Push::queued;
}

void AudioReorder::arrived(const Packet& p) {
    due_us_ = std::max(due_us_, p.arrived_us + p.duration * 1'000'000 / kRate);
    ahead_ = 0;
    ahead_from_.reset();
}

int64_t AudioReorder::wait_us(int64_t now_us) const {
    if (!held_.empty()) return kPollUs;
    if (!expected_ || ahead_ >= kMaxConceal) return kIdleUs;
    const int64_t until = due_us_ + kOverdueUs - now_us;
    if (until > 0) return std::min(until, kIdleUs);
    // Overdue: look again soon, but not for ever when nobody plays the sound (no output).
    return -until < kMaxConceal * 1'000'000 / kRate ? kPollUs : kIdleUs;
}

AudioReorder::Step AudioReorder::make_up() {
    counters_.concealed_samples += kAheadBlock;
    const int64_t pts = *expected_;
    *expected_ += kAheadBlock;
    return Step{Step::conceal, kAheadBlock, {}, pts};
}

std::optional<AudioReorder::Step> AudioReorder::next(int64_t now_us, bool starving) {
    if (held_.empty()) {
        // Nothing to play, and the next packet is late: conceal ahead if the player needs it.
        if (!expected_ || !starving || ahead_ >= kMaxConceal || now_us < due_us_ + kOverdueUs)
            return std::nullopt;
        if (!ahead_from_) {
            ++counters_.concealed;
            ahead_from_ = *expected_;
        }
        ahead_ += kAheadBlock;
        due_us_ += kAheadBlock * 1'000'000 / kRate;
        return make_up();
    }
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
    if (gap < -kTolerance && stretched_for_ != first->first) {
        // A packet whose start was already played (concealed ahead) came late: the player has
        // too little in hand for this path's jitter. It plays whole, after one more block made
        // up (one join, where a rebuffer would have played silence): later by all of that.
        stretched_for_ = first->first;
        return make_up();
    }
    current_ = std::move(first->second);
    held_.erase(first);
    expected_ = current_.pts + current_.duration;
    const int64_t late = gap < -kTolerance ? -gap : 0;
    if (late > 0) {
        ++counters_.late;
        counters_.late_samples += static_cast<uint64_t>(late);
    }
    return Step{Step::decode, current_.duration, current_.bytes, current_.pts, late};
}

}  // namespace meshcall
