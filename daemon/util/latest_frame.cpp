// LatestFrame: latest-value slot for decoded or captured pictures.
#include "daemon/util/latest_frame.hpp"

namespace meshcall {

void LatestFrame::publish(const AVFrame* frame) {
    FramePtr ref = make_frame();
    if (!ref || av_frame_ref(ref.get(), frame) < 0) return;
    FramePtr old;
    {
        std::lock_guard lock(mutex_);
        old = std::move(frame_);
        frame_ = std::move(ref);
        ++generation_;
    }
    // `old` is released outside the lock.
}

void LatestFrame::clear() {
    FramePtr old;
    std::lock_guard lock(mutex_);
    old = std::move(frame_);
    ++generation_;
}

FramePtr LatestFrame::take_if_newer(uint64_t& seen) const {
    std::lock_guard lock(mutex_);
    if (generation_ == seen) return nullptr;
    seen = generation_;
    if (!frame_) return nullptr;
    FramePtr ref = make_frame();
    if (!ref || av_frame_ref(ref.get(), frame_.get()) < 0) return nullptr;
    return ref;
}

uint64_t LatestFrame::generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
}

bool LatestFrame::has_frame() const {
    std::lock_guard lock(mutex_);
    return frame_ != nullptr;
}

}  // namespace meshcall
