// SampleRing: the newest half second of a peer's sound, lock-free between one writer and one
// reader.
#include "daemon/util/sample_ring.hpp"

#include <algorithm>

namespace meshcall {

SampleRing::SampleRing(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)), ring_(2 * capacity_) {}

void SampleRing::write(std::span<const float> samples) {
    const std::size_t kept = ring_.write(samples);
    if (kept < samples.size()) dropped_.fetch_add(samples.size() - kept, std::memory_order_relaxed);
}

void SampleRing::skip_excess() {
    const std::size_t queued = ring_.size();
    if (queued > capacity_)
        dropped_.fetch_add(ring_.skip(queued - capacity_), std::memory_order_relaxed);
}

std::size_t SampleRing::read(std::span<float> out) {
    skip_excess();
    return ring_.read(out);
}

std::size_t SampleRing::discard(std::size_t count) {
    skip_excess();
    return ring_.skip(count);
}

std::size_t SampleRing::size() const {
    return std::min(ring_.size(), capacity_);
}

}  // namespace meshcall
