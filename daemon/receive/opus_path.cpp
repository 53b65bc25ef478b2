// OpusPath: Opus in timestamp order, with loss concealed, to the ring.
#include "daemon/receive/opus_path.hpp"

#include "protocol/opus_ts.hpp"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>
#include <libavutil/time.h>
}

namespace meshcall {

namespace {
// Below this much queued sound (20 ms) a gap is concealed at once instead of waited on.
constexpr std::size_t kStarvingSamples = 48000 / 50;
}  // namespace

void OpusPath::reset(int channels) {
    reorder_ = {};
    counted_ = {};
    decoder_.reset();
    if (channels > 0) decoder_ = std::make_unique<OpusAudioDecoder>(channels);
}

void OpusPath::push_pes(const AVPacket* pkt, AVRational time_base) {
    // Without a parser each packet is a PES payload of Opus access units, the first one at the
    // PES timestamp and each next one right after.
    const int64_t now = av_gettime_relative();
    int64_t pts = pkt->pts == AV_NOPTS_VALUE ? AudioReorder::kNoPts
                                             : av_rescale_q(pkt->pts, time_base, {1, 48000});
    for (auto unit : split_opus_ts({pkt->data, static_cast<std::size_t>(pkt->size)})) {
        const int n = OpusAudioDecoder::packet_samples(unit);
        if (n <= 0) {
            stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
            break;
        }
        reorder_.push({pts, n, {unit.begin(), unit.end()}, now});
        if (pts != AudioReorder::kNoPts) pts += n;
    }
    play();
}

void OpusPath::play() {
    if (!decoder_) return;
    const int64_t now = av_gettime_relative();
    while (auto step = reorder_.next(now, out_.buffered() < kStarvingSamples)) {
        const bool decode = step->kind == AudioReorder::Step::decode;
        const int n = decode
                          ? decoder_->decode(step->packet, pcm_)
                          : decoder_->conceal(static_cast<int>(step->samples), step->packet, pcm_);
        if (n < 0) {
            stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (decode) stats_.audio_frames.fetch_add(1, std::memory_order_relaxed);
        if (step->late > 0) out_.note_late(static_cast<std::size_t>(step->late));
        out_.publish(pcm_, step->pts == AudioReorder::kNoPts
                               ? kNoSoundPts
                               : av_rescale(step->pts, 1'000'000, AudioReorder::kRate));
    }
    add_counters();
}

int64_t OpusPath::wait_us() const {
    return decoder_ ? reorder_.wait_us(av_gettime_relative()) : AudioReorder::kIdleUs;
}

void OpusPath::add_counters() {
    const AudioReorder::Counters& c = reorder_.counters();
    auto add = [](std::atomic<uint64_t>& to, uint64_t now_count, uint64_t& before) {
        if (now_count != before) to.fetch_add(now_count - before, std::memory_order_relaxed);
        before = now_count;
    };
    add(stats_.audio_reordered, c.reordered, counted_.reordered);
    add(stats_.audio_stale, c.stale, counted_.stale);
    add(stats_.audio_concealed, c.concealed, counted_.concealed);
    add(stats_.audio_concealed_samples, c.concealed_samples, counted_.concealed_samples);
    add(stats_.audio_jumps, c.restarts, counted_.restarts);
}

}  // namespace meshcall
