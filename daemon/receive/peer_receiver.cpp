// PeerReceiver: demux + decode of one peer, on its own thread.
#include "daemon/receive/peer_receiver.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>

#include "daemon/util/frame_stamp.hpp"
#include "daemon/util/log.hpp"
#include "protocol/opus_ts.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/time.h>
}

namespace meshcall {

namespace {

constexpr int kIoBufferSize = 64 * 1024;
constexpr int64_t kMaxPixelsCap = 1920 * 1080;
// Below this much queued sound (20 ms) a gap is concealed at once instead of waited on.
constexpr std::size_t kStarvingSamples = 48000 / 50;

bool whitelisted(AVCodecID id) {
    // What meshcall sends (H.264, Opus), plus what a stock ffmpeg sender sends by default
    // for audio into MPEG-TS (MP2, which the TS demuxer labels MP3 for stream types 3 and 4,
    // the MPEG audio decoder handling every layer) and the other common choice (AAC).
    return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_OPUS || id == AV_CODEC_ID_MP2 ||
           id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_AAC;
}

uint32_t mean_rgb(const AVFrame* f) {
    if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) return 0;
    double y = 0, u = 0, v = 0;
    constexpr int kGrid = 16;
    for (int gy = 0; gy < kGrid; ++gy) {
        for (int gx = 0; gx < kGrid; ++gx) {
            const int px = (2 * gx + 1) * f->width / (2 * kGrid);
            const int py = (2 * gy + 1) * f->height / (2 * kGrid);
            y += f->data[0][py * f->linesize[0] + px];
            u += f->data[1][(py / 2) * f->linesize[1] + px / 2];
            v += f->data[2][(py / 2) * f->linesize[2] + px / 2];
        }
    }
    const double n = kGrid * kGrid;
    y = y / n - 16;
    u = u / n - 128;
    v = v / n - 128;
    auto clamp = [](double c) { return static_cast<uint32_t>(std::clamp(c, 0.0, 255.0) + 0.5); };
    const uint32_t r = clamp(1.164 * y + 1.596 * v);
    const uint32_t g = clamp(1.164 * y - 0.392 * u - 0.813 * v);
    const uint32_t b = clamp(1.164 * y + 2.017 * u);
    return (r << 16) | (g << 8) | b;
}

// One decoder for one stream of the current demuxer.
struct StreamDecoder {
    int stream = -1;
    CodecContextPtr ctx;
};

}  // namespace

PeerReceiver::PeerReceiver(std::string name, const VideoSettings& room_video)
    : name_(std::move(name)),
      max_pixels_(std::min<int64_t>(
          kMaxPixelsCap,
          std::max<int64_t>(int64_t{2} * room_video.width * room_video.height, 640 * 480))) {}

PeerReceiver::~PeerReceiver() {
    stop();
}

void PeerReceiver::start() {
    thread_ = std::thread([this] { run(); });
}

void PeerReceiver::stop() {
    stop_ = true;
    queue_.close();
    if (thread_.joinable()) thread_.join();
}

int PeerReceiver::interrupt(void* opaque) {
    return static_cast<PeerReceiver*>(opaque)->stop_.load(std::memory_order_relaxed) ? 1 : 0;
}

int PeerReceiver::read_packet(void* opaque, uint8_t* buf, int size) {
    auto* self = static_cast<PeerReceiver*>(opaque);
    while (self->pending_pos_ >= self->pending_.size()) {
        if (self->stop_ || self->reset_seen_) return AVERROR_EOF;
        // Sound held behind a gap is looked at every few ms, datagrams or not.
        if (self->reorder_.waiting()) self->play_audio();
        PeerDatagram d;
        const auto wait = std::chrono::milliseconds(self->reorder_.waiting() ? 5 : 200);
        auto r = self->queue_.pop(d, wait);
        if (r == PeerDatagramQueue::Pop::closed) return AVERROR_EOF;
        if (r == PeerDatagramQueue::Pop::timeout) continue;
        if (d.reset) {
            self->reset_seen_ = true;
            return AVERROR_EOF;
        }
        self->pending_ = std::move(d.bytes);
        self->pending_pos_ = 0;
    }
    const std::size_t n =
        std::min(static_cast<std::size_t>(size), self->pending_.size() - self->pending_pos_);
    std::memcpy(buf, self->pending_.data() + self->pending_pos_, n);
    self->pending_pos_ += n;
    return static_cast<int>(n);
}

void PeerReceiver::run() {
    set_thread_role("recv:" + name_);
    bool first = true;
    while (!stop_) {
        if (!first) stats_.restarts.fetch_add(1, std::memory_order_relaxed);
        first = false;
        run_demuxer();
        if (!reset_seen_ && !stop_) av_usleep(50'000);  // a broken stream: don't spin
    }
}

void PeerReceiver::publish_audio(std::span<const float> mono) {
    if (mono.empty()) return;
    double sum = 0;
    for (float v : mono) sum += double(v) * v;
    stats_.audio_level = static_cast<float>(std::sqrt(sum / double(mono.size())));
    audio_.write(mono);
}

void PeerReceiver::play_audio() {
    if (!opus_) return;
    const int64_t now = av_gettime_relative();
    while (auto step = reorder_.next(now, audio_.size() < kStarvingSamples)) {
        const bool decode = step->kind == AudioReorder::Step::decode;
        const int n =
            decode ? opus_->decode(step->packet, opus_out_)
                   : opus_->conceal(static_cast<int>(step->samples), step->packet, opus_out_);
        if (n < 0) {
            stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (decode) stats_.audio_frames.fetch_add(1, std::memory_order_relaxed);
        publish_audio(opus_out_);
    }
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

void PeerReceiver::reset_opus(int channels) {
    reorder_ = {};
    counted_ = {};
    opus_.reset();
    if (channels > 0) opus_ = std::make_unique<OpusAudioDecoder>(channels);
}

void PeerReceiver::run_demuxer() {
    reset_seen_ = false;
    reset_opus(0);
    pending_.clear();
    pending_pos_ = 0;

    auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
    AVIOContextPtr io(avio_alloc_context(buffer, kIoBufferSize, 0, this, &PeerReceiver::read_packet,
                                         nullptr, nullptr));
    if (!io) {
        av_free(buffer);
        return;
    }
    io->seekable = 0;
    AVFormatContext* raw = avformat_alloc_context();
    raw->pb = io.get();
    // No probing (the codecs are known, streams come from the PMT) and no parser between
    // demuxer and decoder (it would hold each frame until the next one starts).
    raw->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOBUFFER;
    raw->probesize = 32 * 1024;
    raw->max_analyze_duration = 0;
    raw->max_streams = 8;
    raw->interrupt_callback = {&PeerReceiver::interrupt, this};
    int rc = avformat_open_input(&raw, nullptr, av_find_input_format("mpegts"), nullptr);
    if (rc < 0) {  // `raw` was freed
        if (!stop_ && !reset_seen_)
            spdlog::info("{}: not an MPEG-TS stream: {}", name_, av_error_text(rc));
        return;
    }
    InputContextPtr format(raw);
    spdlog::info("{}: receiving", name_);

    StreamDecoder video, audio;
    std::vector<int> rejected;
    PacketPtr pkt = make_packet();
    FramePtr frame = make_frame();
    SwrContextPtr swr;
    // What `swr` was built for: MP2 and AAC may change channels, format or rate mid-stream.
    AVChannelLayout swr_layout{};
    int swr_format = -1, swr_rate = 0;
    std::vector<float> mono;
    std::deque<int64_t> latencies;
    int64_t next_stats_us = 0;

    auto open_decoder = [&](AVStream* st, StreamDecoder& d) {
        d = {};
        const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
        if (!codec) return;
        CodecContextPtr ctx(avcodec_alloc_context3(codec));
        avcodec_parameters_to_context(ctx.get(), st->codecpar);
        ctx->thread_count = 1;  // never frame threads: each adds a frame of delay
        ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
        ctx->max_pixels = max_pixels_;
        ctx->pkt_timebase = st->time_base;
        if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return;
        d.stream = st->index;
        d.ctx = std::move(ctx);
    };

    auto on_video = [&](AVFrame* f) {
        stats_.video_frames.fetch_add(1, std::memory_order_relaxed);
        stats_.width = f->width;
        stats_.height = f->height;
        video_.publish(f);
        const int64_t now = av_gettime();
        // The stamp is the sender's word: anything but the last minute is ignored before any
        // arithmetic (found by the fuzzer: a stamp near INT64_MIN overflowed the subtraction).
        if (auto stamp = read_capture_stamp(f);
            stamp && *stamp > now - 60'000'000 && *stamp < now + 1'000'000) {
            const int64_t lat = now - *stamp;
            if (lat > -1'000'000 && lat < 60'000'000) {
                const auto bucket = static_cast<std::size_t>(
                    std::clamp<int64_t>(lat / 1000, 0, PeerMediaStats::kLatencyBuckets - 1));
                stats_.latency_histogram[bucket].fetch_add(1, std::memory_order_relaxed);
                latencies.push_back(lat);
                if (latencies.size() > 300) latencies.pop_front();  // ~10 s at 30 fps
            }
        }
        if (now >= next_stats_us) {
            next_stats_us = now + 1'000'000;
            stats_.mean_rgb = mean_rgb(f);
            if (!latencies.empty()) {
                std::vector<int64_t> sorted(latencies.begin(), latencies.end());
                std::sort(sorted.begin(), sorted.end());
                stats_.latency_p50_us = sorted[sorted.size() / 2];
                stats_.latency_p95_us =
                    sorted[std::min(sorted.size() - 1, sorted.size() * 95 / 100)];
                stats_.latency_p99_us =
                    sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
            }
        }
    };

    auto on_audio = [&](AVFrame* f) {
        stats_.audio_frames.fetch_add(1, std::memory_order_relaxed);
        if (swr && (f->format != swr_format || f->sample_rate != swr_rate ||
                    av_channel_layout_compare(&f->ch_layout, &swr_layout) != 0))
            swr.reset();  // found by the fuzzer: stereo then mono crashed swr_convert
        if (!swr) {
            AVChannelLayout out_layout = AV_CHANNEL_LAYOUT_MONO;
            SwrContext* s = nullptr;
            if (swr_alloc_set_opts2(&s, &out_layout, AV_SAMPLE_FMT_FLT, 48000, &f->ch_layout,
                                    static_cast<AVSampleFormat>(f->format), f->sample_rate, 0,
                                    nullptr) < 0 ||
                swr_init(s) < 0) {
                swr_free(&s);
                return;
            }
            swr.reset(s);
            av_channel_layout_uninit(&swr_layout);
            av_channel_layout_copy(&swr_layout, &f->ch_layout);
            swr_format = f->format;
            swr_rate = f->sample_rate;
        }
        const int cap = swr_get_out_samples(swr.get(), f->nb_samples);
        if (cap <= 0) return;
        mono.resize(static_cast<std::size_t>(cap));
        uint8_t* out[1] = {reinterpret_cast<uint8_t*>(mono.data())};
        const int n = swr_convert(swr.get(), out, cap,
                                  const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
        if (n > 0) publish_audio({mono.data(), static_cast<std::size_t>(n)});
    };

    auto decode = [&](StreamDecoder& d, AVPacket* p, auto&& on_frame) {
        if (avcodec_send_packet(d.ctx.get(), p) < 0) {
            stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        for (;;) {
            int r = avcodec_receive_frame(d.ctx.get(), frame.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) break;
            if (r < 0) {
                stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
                break;
            }
            if (!(frame->flags & AV_FRAME_FLAG_CORRUPT) || d.ctx->codec_type == AVMEDIA_TYPE_AUDIO)
                on_frame(frame.get());
            av_frame_unref(frame.get());
        }
    };

    while (!stop_) {
        rc = av_read_frame(format.get(), pkt.get());
        if (rc == AVERROR(EAGAIN)) continue;
        if (rc < 0) break;
        AVStream* st = format->streams[pkt->stream_index];
        const AVCodecParameters* par = st->codecpar;
        StreamDecoder* d = nullptr;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
            d = &video;
            stats_.has_video_stream = true;
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            d = &audio;
            stats_.has_audio_stream = true;
        }
        const bool known_rejected =
            std::find(rejected.begin(), rejected.end(), pkt->stream_index) != rejected.end();
        if (d && !known_rejected && d->stream != pkt->stream_index) {
            if (!whitelisted(par->codec_id)) {
                spdlog::info("{}: ignoring a {} stream (not a codec meshcall accepts)", name_,
                             avcodec_get_name(par->codec_id));
                rejected.push_back(pkt->stream_index);
                stats_.rejected_streams.fetch_add(1, std::memory_order_relaxed);
            } else {
                open_decoder(st, *d);  // a new or changed stream replaces the old decoder
                if (d == &audio) {
                    swr.reset();
                    // Mono or stereo Opus goes through libopus (concealment); more channels
                    // (multistream) through libavcodec. TS may not say: stereo decodes both.
                    const int ch = par->ch_layout.nb_channels;
                    const bool own = par->codec_id == AV_CODEC_ID_OPUS && ch <= 2;
                    reset_opus(own ? (ch == 1 ? 1 : 2) : 0);
                }
            }
        }
        if (d && d->ctx && d->stream == pkt->stream_index) {
            if (d == &video) {
                decode(video, pkt.get(), on_video);
            } else if (par->codec_id == AV_CODEC_ID_OPUS && opus_) {
                // Without a parser each packet is a PES payload of Opus access units, the
                // first one at the PES timestamp and each next one right after.
                const int64_t now = av_gettime_relative();
                int64_t pts = pkt->pts == AV_NOPTS_VALUE
                                  ? AudioReorder::kNoPts
                                  : av_rescale_q(pkt->pts, st->time_base, {1, 48000});
                for (auto unit : split_opus_ts({pkt->data, static_cast<std::size_t>(pkt->size)})) {
                    const int n = OpusAudioDecoder::packet_samples(unit);
                    if (n <= 0) {
                        stats_.decode_errors.fetch_add(1, std::memory_order_relaxed);
                        break;
                    }
                    reorder_.push({pts, n, {unit.begin(), unit.end()}, now});
                    if (pts != AudioReorder::kNoPts) pts += n;
                }
                play_audio();
            } else if (par->codec_id == AV_CODEC_ID_OPUS) {
                PacketPtr part = make_packet();
                for (auto unit : split_opus_ts({pkt->data, static_cast<std::size_t>(pkt->size)})) {
                    part->data = const_cast<uint8_t*>(unit.data());
                    part->size = static_cast<int>(unit.size());
                    part->pts = pkt->pts;
                    decode(audio, part.get(), on_audio);
                }
                part->data = nullptr;
                part->size = 0;
            } else {
                decode(audio, pkt.get(), on_audio);
            }
        }
        av_packet_unref(pkt.get());
    }
    if (!stop_) video_.clear();
    av_channel_layout_uninit(&swr_layout);
    spdlog::info("{}: stream ended{}", name_, reset_seen_ ? " (sender restarted)" : "");
}

}  // namespace meshcall
