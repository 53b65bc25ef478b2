// AudioReorder: puts one peer's audio packets back in timestamp order before they are decoded.
// A datagram network reorders and duplicates; sound played in arrival order repeats and skips.
// Here a duplicate, or a packet whose time has already been played, is dropped; a packet that
// arrives after a gap is held briefly in case the missing one is only late; when it is not
// (the wait is over, several packets are waiting, or the player is about to run dry), the gap
// is handed back to be concealed and playing goes on. When nothing comes at all (the packet was
// lost and the next is not due yet) and the player is about to run dry, sound is concealed 20
// ms at a time as it is due, rather than letting the player run dry and rebuffer (a gap of
// silence per lost packet); a packet that then turns up late is played whole after what was
// made up for it (up to the whole made-up stretch) and one block more, which is the player's
// buffer growing by that much (as a rebuffer would, without the silence). Timestamps are in samples
// at 48 kHz.
//
// Pure logic with no clock or codec of its own: that peer's receiver thread pushes packets,
// asks next() what to decode or conceal, and acts on it. One thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace meshcall {

class AudioReorder {
  public:
    static constexpr int64_t kRate = 48000;
    static constexpr int64_t kNoPts = INT64_MIN;        // the packet carried no timestamp
    static constexpr int64_t kTolerance = kRate / 400;  // 2.5 ms: timestamps this close are "next"
    static constexpr std::size_t kMaxHeld = 4;          // packets held waiting for a missing one
    static constexpr int64_t kMaxWaitUs = 60'000;       // longest wait for a missing packet
    static constexpr int64_t kMaxConceal = kRate * 120 / 1000;  // a longer gap is not concealed
    static constexpr int64_t kJump = kRate;   // a timestamp 1 s off the timeline starts a new one
    static constexpr int kStaleRestart = 25;  // this many stale in a row: the timeline went back
    // Concealed ahead when nothing came: in blocks of this much, once the next packet is this
    // late, at most kMaxConceal in a row (then the sender has stopped or the path is down).
    static constexpr int64_t kAheadBlock = kRate / 50;  // 20 ms
    static constexpr int64_t kOverdueUs = 5'000;
    static constexpr int64_t kPollUs = 5'000;  // how soon to look again while something is due
    static constexpr int64_t kIdleUs = 200'000;

    struct Packet {
        int64_t pts = kNoPts;
        int64_t duration = 0;
        std::vector<uint8_t> bytes;
        int64_t arrived_us = 0;
    };
    enum class Push { queued, stale, duplicate, restart };
    struct Step {
        enum Kind { decode, conceal } kind = decode;
        // decode: the packet to decode. conceal: `samples` of sound were lost just before
        // `packet` (which the next step decodes; its in-band FEC may recover them), or, with
        // `packet` empty, the sound due now has not come (concealed ahead, no FEC).
        int64_t samples = 0;
        std::span<const uint8_t> packet;  // valid until the next call
        int64_t pts = kNoPts;             // of the step's first sample (48 kHz)
        // decode: samples at the packet's start whose time was already played (concealed
        // ahead): the player is that much later from now on.
        int64_t late = 0;
    };
    struct Counters {
        uint64_t stale = 0;      // duplicates and packets too late to play, dropped
        uint64_t reordered = 0;  // packets that arrived after a later one and were put back
        uint64_t concealed = 0;  // gaps concealed (one that was concealed ahead counts once)
        uint64_t concealed_samples = 0;
        uint64_t restarts = 0;  // timeline jumps (the sender's clock moved), not concealed
        uint64_t late = 0;      // packets played whole after sound was concealed ahead for them
        uint64_t late_samples = 0;
    };

    Push push(Packet packet);
    // The next step, or nothing for now. `starving`: the player is about to run dry, so a gap
    // is concealed at once rather than waited on.
    std::optional<Step> next(int64_t now_us, bool starving);
    // How long (µs) the caller may wait for packets before calling next() again: kPollUs while
    // packets are held or the next one is overdue, until it is overdue while sound is flowing,
    // kIdleUs otherwise.
    int64_t wait_us(int64_t now_us) const;
    const Counters& counters() const { return counters_; }

  private:
    void arrived(const Packet& p);  // a packet was queued: sound is due until it runs out
    Step make_up();  // kAheadBlock concealed at expected_ (no packet after it: no FEC)

    std::map<int64_t, Packet> held_;   // by pts
    std::optional<int64_t> expected_;  // pts of the next sound to play
    int64_t pushed_end_ = kNoPts;      // end of the last packet pushed (for packets without pts)
    int stale_run_ = 0;
    int64_t due_us_ = 0;  // when the sound after the newest packet runs out, at the rate it came
    int64_t ahead_ = kMaxConceal;        // samples concealed ahead since a packet last came
    std::optional<int64_t> ahead_from_;  // where that concealing started (pts), while it lasts
    int64_t stretched_for_ = kNoPts;     // the late packet a block was last made up before
    Packet current_;                     // the packet the last Step points into
    Counters counters_;
};

}  // namespace meshcall
