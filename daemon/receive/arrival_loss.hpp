// Loss on the path from one sender, with a grace time for reordering: a gap in the numbering is
// only counted lost once it has stayed open for kLateUs (100 ms); what fills it before then was
// late, not lost. Two numberings: the sealed wire's datagram counter (SequenceLoss, exact) and,
// on the plain wire, the TS continuity counters of the media PIDs (ContinuityLoss, 4 bits: see
// its limits). Pure; one thread: the one that owns it (ArrivalMonitor's, the event loop).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace meshcall {

// What a loss counter has seen since the last take: units received and units confirmed lost
// (datagrams for SequenceLoss, TS packets for ContinuityLoss).
struct LossCount {
    uint64_t received = 0;
    uint64_t lost = 0;
};

inline constexpr int64_t kLateUs = 100'000;

// The sealed wire's counter: +1 per datagram from this sender to us. Duplicates were refused
// before (the replay window); a number far behind the highest (kRestartBehind) is a sender that
// started counting again.
class SequenceLoss {
  public:
    static constexpr uint64_t kRestartBehind = 1u << 16;
    static constexpr std::size_t kMaxGaps = 256;  // beyond: the oldest is judged at once

    void on_datagram(uint64_t seq, int64_t arrival_us);
    // Counts gaps older than kLateUs as lost, then returns the counts and starts a new window.
    LossCount take(int64_t now_us);

  private:
    struct Gap {
        uint64_t first = 0, last = 0;  // inclusive
        int64_t noticed_us = 0;
    };
    void expire(int64_t now_us);  // counts the gaps older than kLateUs lost
    void judge_all();             // counts every open gap lost
    void fill(uint64_t seq);

    bool started_ = false;
    uint64_t highest_ = 0;
    std::deque<Gap> gaps_;  // in numbering order, which is also the order they were noticed
    LossCount window_;
};

// TS continuity counters: 4 bits per PID, +1 per packet with payload. A gap of n packets on a
// PID is noticed when the next one arrives; a packet whose counter lies in a gap of its PID
// still open fills it.
//
// Limits (of any 4-bit counter): a run of 16k + n lost packets on one PID counts as n (16 lost
// in a row count as none); a late packet is recognised only by its counter, so a new gap
// arriving while an older one is open, whose first counter happens to lie in the older one, is
// taken for a late packet (loss undercounted by a few packets); a packet later than kLateUs is
// taken for a new gap (overcounted, by up to 15 and again for the packet after it). The
// adaptation field's discontinuity flag restarts a PID's count, as does a sender restart
// (reset(), once the caller has seen one).
class ContinuityLoss {
  public:
    static constexpr std::size_t kMaxGaps = 64;

    // One TS packet with payload on a media PID.
    void on_packet(uint16_t pid, uint8_t continuity, bool discontinuity, int64_t arrival_us);
    LossCount take(int64_t now_us);
    // Forgets every PID's counter and the open gaps (the sender restarted: its counters jumped).
    void reset();
    // Whether `continuity` on `pid` follows the last counter seen there (true for a PID not
    // seen yet).
    bool follows(uint16_t pid, uint8_t continuity) const;

  private:
    struct Pid {
        uint16_t pid = 0;
        uint8_t last = 0;
    };
    struct Gap {
        uint16_t pid = 0;
        uint16_t missing = 0;  // bit c: counter c is missing
        int64_t noticed_us = 0;
    };
    void expire(int64_t now_us);
    void judge_all();
    bool fill(uint16_t pid, uint8_t continuity);

    std::vector<Pid> pids_;
    std::deque<Gap> gaps_;  // oldest first
    LossCount window_;
};

}  // namespace meshcall
