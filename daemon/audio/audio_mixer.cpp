// AudioMixer: jitter buffers, mixing and soft clipping.
#include "daemon/audio/audio_mixer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace meshcall {

float soft_clip(float x) {
    const float a = std::fabs(x);
    if (a <= 0.5f) return x;
    const float y = 0.5f + 0.5f * std::tanh((a - 0.5f) * 2.f);
    return std::copysign(y, x);
}

AudioMixer::AudioMixer(std::vector<SampleRing*> sources) : sum_(kMaxBlock) {
    for (SampleRing* r : sources) {
        auto s = std::make_unique<Source>();
        s->ring = r;
        s->buffer.resize(kMaxBlock);
        sources_.push_back(std::move(s));
    }
}

void AudioMixer::set_muted(std::size_t i, bool muted) {
    if (i < sources_.size()) sources_[i]->muted.store(muted, std::memory_order_relaxed);
}

std::size_t AudioMixer::target(std::size_t i) const {
    return i < sources_.size() ? sources_[i]->target.load() : 0;
}

void AudioMixer::mix(std::span<float> out) {
    const std::span<const float> all(out.data(), out.size());
    while (!out.empty()) {
        const std::size_t n = std::min(out.size(), kMaxBlock);
        mix_block(out.first(n));
        out = out.subspan(n);
    }
    if (tap_) tap_->push(all);
}

void AudioMixer::mix_block(std::span<float> out) {
    const std::size_t n = out.size();
    const std::span<float> sum(sum_.data(), n);
    std::fill(sum.begin(), sum.end(), 0.f);
    for (auto& sp : sources_) {
        Source& s = *sp;
        const std::size_t queued = s.ring->size();
        const std::span<float> buffer(s.buffer.data(), n);
        if (s.muted.load(std::memory_order_relaxed)) {
            s.ring->discard(queued);  // so that unmuting does not replay old sound
            s.playing = false;
            s.lead = 0;
            s.low = SIZE_MAX;
            continue;
        }
        // Sound that came late and was played after what was concealed for it: the buffer
        // grew by that much; the target follows, so that it is not shed as excess.
        if (const uint64_t late = s.ring->late(); late != s.late_seen) {
            s.target = std::min<std::size_t>(kMaxTarget, s.target + (late - s.late_seen));
            s.late_seen = late;
        }
        const std::size_t target = s.target;
        if (!s.playing) {
            if (queued == 0) continue;
            // Start now, behind silence, rather than wait for `target` to fill: sound that
            // arrives a 40 ms block at a time would fill it only with the second block, a whole
            // block late. The newest sound plays `target` from now and at least kMinLead from
            // now (what the block after it has to come), unless more is queued than both.
            s.playing = true;
            const std::size_t delay =
                std::min(std::max(target, queued + kMinLead), target + kMinLead);
            s.lead = delay > queued ? delay - queued : 0;
        }
        const std::size_t lead = std::min(s.lead, n);  // silence at the head of this block
        s.lead -= lead;
        // Steady for 10 s with always at least 40 ms more queued than the target: that much was
        // never needed, shed it (the least queued then is the target). The least, not what is
        // queued now: sound comes in 40 ms blocks and, on a jittery path, in bursts, so one
        // look at a peak would shed what the next late block needs (a gap).
        s.low = std::min(s.low, queued + s.lead);
        if (s.steady_samples > 10u * kRate && s.low > target + kShedMin) {
            s.ring->discard(s.low - target);
            if (target > kStartTarget) s.target = target - kGrowStep / 2;
            s.steady_samples = 0;
            s.low = SIZE_MAX;
        }
        const std::size_t got = s.ring->read(buffer.first(n - lead));
        for (std::size_t i = 0; i < got; ++i) sum[lead + i] += buffer[i];
        if (got > 0) s.last = buffer[got - 1];
        const std::size_t played = lead + got;
        if (played < n) {
            // Underrun: fade the last sample out over 5 ms instead of a click, then rebuffer
            // with a bigger target.
            const std::size_t fade = std::min<std::size_t>(n - played, kRate / 200);
            for (std::size_t i = 0; i < fade; ++i)
                sum[played + i] += s.last * (1.f - float(i + 1) / float(fade));
            s.last = 0.f;
            s.playing = false;
            s.steady_samples = 0;
            s.low = SIZE_MAX;
            s.target = std::min(kMaxTarget, target + kGrowStep);
            underruns_.fetch_add(1, std::memory_order_relaxed);
        } else {
            s.steady_samples += n;
        }
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = soft_clip(sum[i]);
}

}  // namespace meshcall
