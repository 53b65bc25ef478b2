// SampleRing: bounded ring of float samples, drop-oldest.
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

void SampleRing::write(std::span<const float> samples) {
    std::lock_guard lock(mutex_);
    const std::size_t cap = buffer_.size();
    for (float s : samples) {
        if (size_ == cap) {
            start_ = (start_ + 1) % cap;
            --size_;
        }
        buffer_[(start_ + size_) % cap] = s;
        ++size_;
    }
}

std::size_t SampleRing::read(std::span<float> out) {
    std::lock_guard lock(mutex_);
    const std::size_t n = std::min(out.size(), size_);
    for (std::size_t i = 0; i < n; ++i) out[i] = buffer_[(start_ + i) % buffer_.size()];
    start_ = (start_ + n) % buffer_.size();
    size_ -= n;
    return n;
}

std::size_t SampleRing::size() const {
    std::lock_guard lock(mutex_);
    return size_;
}

}  // namespace meshcall
