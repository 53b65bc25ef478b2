// ReplayWindow: which counters of one sender's key were already accepted (RFC 6479's sliding
// bitmap, as WireGuard's): 4032 counters behind the newest are still judged (reordering
// exists); older ones are refused. Call only after the datagram authenticated. One thread.
#pragma once

#include <array>
#include <cstdint>

namespace meshcall {

class ReplayWindow {
  public:
    static constexpr std::size_t kWords = 64;
    static constexpr uint64_t kSpan = (kWords - 1) * 64;  // counters judged behind the newest

    // True the first time `counter` is seen (and remembers it); false for a repeat or one
    // older than the window.
    bool accept(uint64_t counter);
    void reset() { *this = ReplayWindow{}; }
    // Whether `counter` would be the newest yet (or the first).
    bool newer(uint64_t counter) const { return !any_ || counter > top_; }
    // The full counter whose low 32 bits are `low` nearest the newest accepted (a short
    // header's); `low` itself before anything was accepted.
    uint64_t expand(uint32_t low) const;

  private:
    std::array<uint64_t, kWords> bits_{};
    uint64_t top_ = 0;  // the newest accepted
    bool any_ = false;
};

}  // namespace meshcall
