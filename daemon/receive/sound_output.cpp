// SoundOutput: handing decoded sound to the mixer's ring.
#include "daemon/receive/sound_output.hpp"

#include <cmath>

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

void SoundOutput::publish(std::span<const float> mono, int64_t pts_us) {
    if (mono.empty()) return;
    if (sync_ && pts_us != kNoSoundPts) sync_->on_sound(pts_us, ring_.size(), av_gettime_relative());
    double sum = 0;
    for (float v : mono) sum += double(v) * v;
    stats_.audio_level = static_cast<float>(std::sqrt(sum / double(mono.size())));
    ring_.write(mono);
}

}  // namespace meshcall
