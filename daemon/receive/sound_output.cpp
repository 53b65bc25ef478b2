// SoundOutput: handing decoded sound to the mixer's ring.
#include "daemon/receive/sound_output.hpp"

#include <cmath>

namespace meshcall {

void SoundOutput::publish(std::span<const float> mono) {
    if (mono.empty()) return;
    double sum = 0;
    for (float v : mono) sum += double(v) * v;
    stats_.audio_level = static_cast<float>(std::sqrt(sum / double(mono.size())));
    ring_.write(mono);
}

}  // namespace meshcall
