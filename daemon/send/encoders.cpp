// Encoders: libx264 and libopus set up for a call (the latency and CPU traps of the stock pipeline
// avoided: docs/benchmarks.md).
#include "daemon/send/encoders.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "daemon/send/captured_frame.hpp"
#include "daemon/util/frame_stamp.hpp"
#include "daemon/util/log.hpp"
#include "protocol/opus_ts.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace meshcall {

namespace {

void open_codec(AVCodecContext* ctx, const AVCodec* codec, AVDictionary** opts) {
    int rc = avcodec_open2(ctx, codec, opts);
    if (rc < 0)
        throw std::runtime_error(std::string("cannot open the ") + codec->name +
                                 " encoder: " + av_error_text(rc));
}

// Hands `frame` to the encoder; a refusal is counted, and logged the first time and every
// 1000th after (a broken encoder must not flood the log at the frame rate).
bool send_frame(AVCodecContext* ctx, AVFrame* frame, std::atomic<uint64_t>& failures) {
    const int rc = avcodec_send_frame(ctx, frame);
    if (rc >= 0) return true;
    const uint64_t n = failures.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n % 1000 == 1)
        spdlog::warn("{} encoder refused a frame ({} so far): {}", ctx->codec->name, n,
                     av_error_text(rc));
    return false;
}

void drain(AVCodecContext* ctx, AVPacket* pkt, const OnPacket& out) {
    while (avcodec_receive_packet(ctx, pkt) >= 0) {
        out(pkt);
        av_packet_unref(pkt);
    }
}

}  // namespace

VideoEncoder::VideoEncoder(const VideoSettings& s) : pkt_(make_packet()) {
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) throw std::runtime_error("this FFmpeg has no libx264 encoder");
    ctx_.reset(avcodec_alloc_context3(codec));
    AVCodecContext* c = ctx_.get();
    c->width = s.width;
    c->height = s.height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = {1, s.fps};
    c->framerate = {s.fps, 1};
    c->gop_size = s.fps;  // with intra refresh: the refresh period, one second
    c->max_b_frames = 0;
    c->bit_rate = int64_t{s.bitrate_kbps} * 1000;
    c->rc_max_rate = c->bit_rate;
    c->rc_buffer_size = static_cast<int>(c->bit_rate / 2);  // VBV: half a second
    c->thread_count = 1;  // sliced threads would split frames; one thread is plenty at call sizes
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "preset", "ultrafast", 0);
    av_dict_set(&opts, "tune", "zerolatency", 0);
    av_dict_set(&opts, "intra-refresh", "1", 0);
    av_dict_set(&opts, "forced-idr", "1", 0);
    av_dict_set(&opts, "udu_sei", "1", 0);
    // SPS/PPS with every refresh cycle, so a joiner can start within one period.
    av_dict_set(&opts, "x264-params", "repeat-headers=1", 0);
    open_codec(c, codec, &opts);
    av_dict_free(&opts);
}

void VideoEncoder::encode(AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh,
                          const OnPacket& out) {
    // Timestamps from the capture clock, so a dropped frame leaves a gap, not a drift.
    int64_t pts = av_rescale_q(rel_us, {1, 1000000}, ctx_->time_base);
    if (pts <= last_pts_) pts = last_pts_ + 1;
    last_pts_ = pts;
    frame->pts = pts;
    frame->pict_type = refresh ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    attach_capture_stamp(frame, wall_us);
    if (!send_frame(ctx_.get(), frame, failures_)) return;
    drain(ctx_.get(), pkt_.get(), out);
}

int64_t AudioEncoder::packet_bitrate(int kbps) {
    // Constant-size packets of kFrameMs: TS carries each in whole 188-byte packets, so a
    // packet a few bytes over a boundary would pay a whole TS packet (and, alone, more than
    // that in a datagram) for them. 32 kbit/s is 160 bytes, one over what one TS packet holds.
    const auto bytes = static_cast<std::size_t>(int64_t{kbps} * 1000 * kFrameMs / 8000);
    std::size_t ts_packets = 1;
    while (opus_ts_capacity(ts_packets) < bytes) ++ts_packets;
    std::size_t fit = bytes;
    if (ts_packets > 1 && (bytes - opus_ts_capacity(ts_packets - 1)) * 50 <= bytes)
        fit = opus_ts_capacity(ts_packets - 1);
    return static_cast<int64_t>(fit) * 8000 / kFrameMs;
}

AudioEncoder::AudioEncoder(const AudioSettings& s) : pkt_(make_packet()), pending_(make_frame()) {
    const AVCodec* codec = avcodec_find_encoder_by_name("libopus");
    if (!codec) throw std::runtime_error("this FFmpeg has no libopus encoder");
    ctx_.reset(avcodec_alloc_context3(codec));
    AVCodecContext* c = ctx_.get();
    c->sample_rate = kAudioRate;
    c->sample_fmt = AV_SAMPLE_FMT_FLT;
    c->ch_layout = AV_CHANNEL_LAYOUT_MONO;
    c->time_base = {1, kAudioRate};
    c->bit_rate = packet_bitrate(s.bitrate_kbps);
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "application", "voip", 0);
    av_dict_set(&opts, "frame_duration", std::to_string(kFrameMs).c_str(), 0);
    // Constant bitrate: every packet the size packet_bitrate() made fit. With VBR a 40 ms
    // packet at "32 kbit/s" runs 200-230 bytes on a tone (two TS packets); and in an encrypted
    // room packet sizes would tell what is said (RFC 6562).
    av_dict_set(&opts, "vbr", "off", 0);
    // In-band FEC, as WebRTC sends it: each packet also carries a coarse copy of the one
    // before, which the receiver decodes when that one was lost (OpusAudioDecoder::conceal;
    // of a lost 40 ms packet it brings back the second 20 ms, the first is concealed).
    av_dict_set(&opts, "fec", "1", 0);
    av_dict_set(&opts, "packet_loss", "5", 0);
    open_codec(c, codec, &opts);
    av_dict_free(&opts);
    pending_->format = c->sample_fmt;
    pending_->sample_rate = c->sample_rate;
    pending_->nb_samples = c->frame_size;
    if (av_channel_layout_copy(&pending_->ch_layout, &c->ch_layout) < 0 ||
        av_frame_get_buffer(pending_.get(), 0) < 0)
        throw std::runtime_error("cannot allocate the Opus encoder's frame");
}

void AudioEncoder::encode(AVFrame* frame, int64_t rel_us, const OnPacket& out) {
    // Follow the capture clock, but keep consecutive blocks contiguous. A jump starts a new
    // timeline: the half packet gathered on the old one is dropped, not glued to the new.
    const int64_t from_clock = av_rescale(rel_us, kAudioRate, 1000000);
    if (next_pts_ < 0 || std::llabs(from_clock - next_pts_) > kAudioRate / 5) {
        next_pts_ = from_clock;
        filled_ = 0;
    }
    const auto* in = reinterpret_cast<const float*>(frame->data[0]);
    int used = 0;
    while (used < frame->nb_samples) {
        if (filled_ == 0) {
            // The encoder may still hold the last frame: write into one of our own.
            if (av_frame_make_writable(pending_.get()) < 0) {
                failures_.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            pending_->pts = next_pts_;
        }
        const int n = std::min(frame->nb_samples - used, pending_->nb_samples - filled_);
        std::copy_n(in + used, n, reinterpret_cast<float*>(pending_->data[0]) + filled_);
        used += n;
        filled_ += n;
        next_pts_ += n;
        if (filled_ < pending_->nb_samples) break;
        filled_ = 0;
        if (send_frame(ctx_.get(), pending_.get(), failures_)) drain(ctx_.get(), pkt_.get(), out);
    }
}

}  // namespace meshcall
