// ReplayWindow: RFC 6479, a ring of 64-bit words; moving the top clears the words it passes.
#include "protocol/replay_window.hpp"

namespace meshcall {

bool ReplayWindow::accept(uint64_t counter) {
    if (any_ && counter + kSpan <= top_ && counter < top_) return false;  // too old to judge
    const uint64_t index = counter / 64;
    if (!any_ || counter > top_) {
        const uint64_t top_index = any_ ? top_ / 64 : index;
        uint64_t steps = index - top_index;
        if (!any_ || steps > kWords) steps = kWords;
        for (uint64_t i = 1; i <= steps; ++i) bits_[(top_index + i) % kWords] = 0;
        if (!any_) bits_[index % kWords] = 0;
        top_ = counter;
        any_ = true;
    }
    uint64_t& word = bits_[index % kWords];
    const uint64_t bit = uint64_t{1} << (counter % 64);
    if (word & bit) return false;
    word |= bit;
    return true;
}

uint64_t ReplayWindow::expand(uint32_t low) const {
    constexpr uint64_t kRange = uint64_t{1} << 32, kHalf = kRange / 2;
    if (!any_) return low;
    uint64_t c = (top_ & ~(kRange - 1)) | low;
    if (c > top_ && c - top_ > kHalf && c >= kRange)
        c -= kRange;
    else if (c < top_ && top_ - c > kHalf)
        c += kRange;
    return c;
}

}  // namespace meshcall
