// LatestFrame: a one-frame slot between a producer thread and the viewer. Latest wins;
// nothing queues, so a slow reader never builds up delay.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

class LatestFrame {
  public:
    // Producer: replaces the held frame (takes a new reference to `frame`'s buffers).
    void publish(const AVFrame* frame);
    // Producer: the source has no picture now (video off, peer gone).
    void clear();

    // Reader: a new reference to the held frame if it is newer than `seen`; updates `seen`.
    // Returns nullptr when nothing newer was published.
    FramePtr take_if_newer(uint64_t& seen) const;
    // Reader: the generation counter (0 = never published; changes with every publish/clear).
    uint64_t generation() const;
    bool has_frame() const;

  private:
    mutable std::mutex mutex_;
    FramePtr frame_;
    uint64_t generation_ = 0;
};

}  // namespace meshcall
