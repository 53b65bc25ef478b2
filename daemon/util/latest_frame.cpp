// LatestFrame: latest-value slot for decoded or captured pictures.
#include "daemon/util/latest_frame.hpp"

#include <cmath>

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

namespace {
// Smoothing of the lateness: over ~16 frames; a frame this far off the average starts it anew
// (a new timing), so one odd frame does not skew it for seconds.
constexpr double kLatenessAlpha = 1.0 / 16;
constexpr double kLatenessJumpUs = 200'000;
}  // namespace

void LatestFrame::show(FramePtr frame, int64_t now_us, std::optional<int64_t> target_us) const {
    frame_ = std::move(frame);
    ++generation_;
    if (!target_us) return;
    const double late = static_cast<double>(now_us - *target_us);
    const bool smooth = have_lateness_ && std::fabs(late - lateness_us_) <= kLatenessJumpUs;
    lateness_us_ = smooth ? lateness_us_ + kLatenessAlpha * (late - lateness_us_) : late;
    have_lateness_ = true;
}

void LatestFrame::promote(int64_t now_us) const {
    while (!held_.empty() && (held_.front().show_at_us <= now_us || held_.size() > kMaxHeld)) {
        Held h = std::move(held_.front());
        held_.pop_front();
        show(std::move(h.frame), now_us, h.target_us);
    }
}

void LatestFrame::publish(const AVFrame* frame) {
    FramePtr ref = make_frame();
    if (!ref || av_frame_ref(ref.get(), frame) < 0) return;
    FramePtr old;
    std::deque<Held> dropped;
    {
        std::lock_guard lock(mutex_);
        old = std::move(frame_);
        dropped.swap(held_);  // a picture for now replaces any waiting ones
        show(std::move(ref), 0, std::nullopt);
    }
    // `old` and `dropped` are released outside the lock.
}

void LatestFrame::publish_at(const AVFrame* frame, int64_t show_at_us, int64_t target_us) {
    FramePtr ref = make_frame();
    if (!ref || av_frame_ref(ref.get(), frame) < 0) return;
    const int64_t now = av_gettime_relative();
    std::lock_guard lock(mutex_);
    held_.push_back({std::move(ref), show_at_us, target_us});
    promote(now);
}

void LatestFrame::clear() {
    FramePtr old;
    std::deque<Held> dropped;
    std::lock_guard lock(mutex_);
    old = std::move(frame_);
    dropped.swap(held_);
    ++generation_;
}

std::optional<int64_t> LatestFrame::lateness_us() const {
    std::lock_guard lock(mutex_);
    if (!have_lateness_) return std::nullopt;
    return static_cast<int64_t>(lateness_us_);
}

FramePtr LatestFrame::take_if_newer(uint64_t& seen) const {
    std::lock_guard lock(mutex_);
    if (!held_.empty()) promote(av_gettime_relative());
    if (generation_ == seen) return nullptr;
    seen = generation_;
    if (!frame_) return nullptr;
    FramePtr ref = make_frame();
    if (!ref || av_frame_ref(ref.get(), frame_.get()) < 0) return nullptr;
    return ref;
}

uint64_t LatestFrame::generation() const {
    std::lock_guard lock(mutex_);
    if (!held_.empty()) promote(av_gettime_relative());
    return generation_;
}

bool LatestFrame::has_frame() const {
    std::lock_guard lock(mutex_);
    return frame_ != nullptr || !held_.empty();
}

}  // namespace meshcall
