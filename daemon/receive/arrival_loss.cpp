// Loss with a grace time for reordering, from datagram numbers and from TS continuity counters.
#include "daemon/receive/arrival_loss.hpp"

#include <algorithm>
#include <bit>

namespace meshcall {

void SequenceLoss::on_datagram(uint64_t seq, int64_t arrival_us) {
    expire(arrival_us);
    if (started_ && seq < highest_ && highest_ - seq > kRestartBehind) {
        // The sender counts from the start again: its old gaps are judged as they stand.
        judge_all();
        started_ = false;
    }
    ++window_.received;
    if (!started_) {
        started_ = true;
        highest_ = seq;
        return;
    }
    if (seq > highest_) {
        if (seq > highest_ + 1) {
            gaps_.push_back(Gap{highest_ + 1, seq - 1, arrival_us});
            if (gaps_.size() > kMaxGaps) {
                window_.lost += gaps_.front().last - gaps_.front().first + 1;
                gaps_.pop_front();
            }
        }
        highest_ = seq;
        return;
    }
    fill(seq);  // late; or later than kLateUs, already counted lost: then nothing to fill
}

void SequenceLoss::fill(uint64_t seq) {
    const auto it = std::lower_bound(gaps_.begin(), gaps_.end(), seq,
                                     [](const Gap& g, uint64_t s) { return g.last < s; });
    if (it == gaps_.end() || seq < it->first) return;
    if (it->first == it->last) {
        gaps_.erase(it);
    } else if (seq == it->first) {
        ++it->first;
    } else if (seq == it->last) {
        --it->last;
    } else {
        Gap before = *it;
        before.last = seq - 1;
        it->first = seq + 1;
        gaps_.insert(it, before);
    }
}

void SequenceLoss::expire(int64_t now_us) {
    while (!gaps_.empty() && now_us - gaps_.front().noticed_us >= kLateUs) {
        window_.lost += gaps_.front().last - gaps_.front().first + 1;
        gaps_.pop_front();
    }
}

void SequenceLoss::judge_all() {
    for (const Gap& g : gaps_) window_.lost += g.last - g.first + 1;
    gaps_.clear();
}

LossCount SequenceLoss::take(int64_t now_us) {
    expire(now_us);
    const LossCount out = window_;
    window_ = LossCount{};
    return out;
}

void ContinuityLoss::reset() {
    // The open gaps are most likely the restart's own jump in the counters: forgotten.
    gaps_.clear();
    pids_.clear();
}

bool ContinuityLoss::follows(uint16_t pid, uint8_t continuity) const {
    for (const Pid& p : pids_)
        if (p.pid == pid) return ((p.last + 1) & 0x0f) == (continuity & 0x0f);
    return true;
}

void ContinuityLoss::on_packet(uint16_t pid, uint8_t continuity, bool discontinuity,
                               int64_t arrival_us) {
    expire(arrival_us);
    continuity &= 0x0f;
    auto it =
        std::find_if(pids_.begin(), pids_.end(), [pid](const Pid& p) { return p.pid == pid; });
    if (it == pids_.end()) {
        pids_.push_back(Pid{pid, continuity});
        ++window_.received;
        return;
    }
    if (discontinuity) {
        // The sender says the counter jumps: no gap, and none of the PID's open gaps can be
        // filled any more.
        for (Gap& g : gaps_)
            if (g.pid == pid) g.missing = 0;
        it->last = continuity;
        ++window_.received;
        return;
    }
    if (continuity == it->last) return;  // a legal duplicate (ISO 13818-1 2.4.3.3): not counted
    ++window_.received;
    const uint8_t next = (it->last + 1) & 0x0f;
    if (continuity == next) {
        it->last = continuity;
        return;
    }
    if (fill(pid, continuity)) return;
    Gap gap{pid, 0, arrival_us};
    for (uint8_t c = next; c != continuity; c = (c + 1) & 0x0f) gap.missing |= uint16_t(1u << c);
    gaps_.push_back(gap);
    if (gaps_.size() > kMaxGaps) {
        window_.lost += static_cast<uint64_t>(std::popcount(gaps_.front().missing));
        gaps_.pop_front();
    }
    it->last = continuity;
}

bool ContinuityLoss::fill(uint16_t pid, uint8_t continuity) {
    const auto bit = uint16_t(1u << continuity);
    for (Gap& g : gaps_) {  // the oldest first: reordering mostly delays by little
        if (g.pid == pid && (g.missing & bit)) {
            g.missing &= uint16_t(~bit);
            return true;
        }
    }
    return false;
}

void ContinuityLoss::expire(int64_t now_us) {
    while (!gaps_.empty() && now_us - gaps_.front().noticed_us >= kLateUs) {
        window_.lost += static_cast<uint64_t>(std::popcount(gaps_.front().missing));
        gaps_.pop_front();
    }
}

void ContinuityLoss::judge_all() {
    for (const Gap& g : gaps_) window_.lost += static_cast<uint64_t>(std::popcount(g.missing));
    gaps_.clear();
}

LossCount ContinuityLoss::take(int64_t now_us) {
    expire(now_us);
    const LossCount out = window_;
    window_ = LossCount{};
    return out;
}

}  // namespace meshcall
