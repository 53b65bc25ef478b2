// AudioDecoder: decoding and resampling sound through libavcodec.
#include "daemon/receive/audio_decoder.hpp"

#include "daemon/util/log.hpp"
#include "protocol/opus_ts.hpp"

extern "C" {
#include <libavutil/mathematics.h>
}

namespace meshcall {

AudioDecoder::AudioDecoder(PeerMediaStats& stats, SoundOutput& out)
    : stats_(stats), out_(out), resampler_(1, 48000) {}

bool AudioDecoder::open(const AVStream& stream, std::string& error) {
    resampler_.reset();
    time_base_ = stream.time_base;
    return decoder_.open(stream, DecoderOptions{0, true}, error);
}

void AudioDecoder::on_frame(const AVFrame* f) {
    stats_.audio_frames.fetch_add(1, std::memory_order_relaxed);
    // The resampler follows the frame's format (found by the fuzzer: stereo then mono crashed
    // a converter built for stereo).
    const int n = resampler_.convert(*f, mono_);
    if (n < 0) {
        spdlog::debug("cannot convert {} Hz {}-channel sound: {}", f->sample_rate,
                      f->ch_layout.nb_channels, av_error_text(n));
        return;
    }
    const int64_t pts = f->best_effort_timestamp;
    out_.publish(mono_, pts == AV_NOPTS_VALUE ? kNoSoundPts
                                             : av_rescale_q(pts, time_base_, {1, 1'000'000}));
}

void AudioDecoder::decode(const AVPacket* pkt) {
    const int errors = decoder_.decode(pkt, [this](const AVFrame* f) { on_frame(f); });
    if (errors) stats_.decode_errors.fetch_add(errors, std::memory_order_relaxed);
}

void AudioDecoder::decode_opus_pes(const AVPacket* pkt) {
    if (!unit_) return;
    for (auto unit : split_opus_ts({pkt->data, static_cast<std::size_t>(pkt->size)})) {
        unit_->data = const_cast<uint8_t*>(unit.data());
        unit_->size = static_cast<int>(unit.size());
        unit_->pts = pkt->pts;
        decode(unit_.get());
    }
    unit_->data = nullptr;
    unit_->size = 0;
}

}  // namespace meshcall
