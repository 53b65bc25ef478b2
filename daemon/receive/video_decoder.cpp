// VideoDecoder: decoding a peer's pictures and measuring their latency.
#include "daemon/receive/video_decoder.hpp"

#include <algorithm>

#include "daemon/receive/picture_probe.hpp"
#include "daemon/util/frame_stamp.hpp"

extern "C" {
#include <libavutil/mathematics.h>
#include <libavutil/time.h>
}

namespace meshcall {

VideoDecoder::VideoDecoder(PeerMediaStats& stats, LatestFrame& out, int64_t max_pixels,
                           const AvSync* sync)
    : stats_(stats), out_(out), sync_(sync), options_{max_pixels, true} {}

bool VideoDecoder::open(const AVStream& stream, std::string& error) {
    time_base_ = stream.time_base;
    return decoder_.open(stream, options_, error);
}

void VideoDecoder::decode(const AVPacket* pkt) {
    const int errors = decoder_.decode(pkt, [this](const AVFrame* f) { on_picture(f); });
    if (errors) stats_.decode_errors.fetch_add(errors, std::memory_order_relaxed);
}

void VideoDecoder::measure_latency(const AVFrame* f, int64_t now_us) {
    // The stamp is the sender's word: anything but the last minute is ignored before any
    // arithmetic (found by the fuzzer: a stamp near INT64_MIN overflowed the subtraction).
    const auto stamp = read_capture_stamp(f);
    if (!stamp || *stamp <= now_us - 60'000'000 || *stamp >= now_us + 1'000'000) return;
    const int64_t lat = now_us - *stamp;
    if (lat <= -1'000'000 || lat >= 60'000'000) return;
    const auto bucket = static_cast<std::size_t>(
        std::clamp<int64_t>(lat / 1000, 0, PeerMediaStats::kLatencyBuckets - 1));
    stats_.latency_histogram[bucket].fetch_add(1, std::memory_order_relaxed);
    latencies_.add(lat);
}

void VideoDecoder::publish(const AVFrame* f) {
    const int64_t pts = f->best_effort_timestamp;
    if (sync_ && pts != AV_NOPTS_VALUE) {
        const auto when =
            sync_->schedule_picture(av_rescale_q(pts, time_base_, {1, 1'000'000}), av_gettime_relative());
        if (sync_->active()) return out_.publish_at(f, when.show_at_us, when.target_us);
    }
    out_.publish(f);
}

void VideoDecoder::on_picture(const AVFrame* f) {
    stats_.video_frames.fetch_add(1, std::memory_order_relaxed);
    stats_.width = f->width;
    stats_.height = f->height;
    publish(f);
    const int64_t now = av_gettime();
    measure_latency(f, now);
    if (now < next_stats_us_) return;
    next_stats_us_ = now + 1'000'000;
    stats_.mean_rgb = mean_rgb(f);
    if (const auto p = latencies_.percentiles()) {
        stats_.latency_p50_us = p->p50;
        stats_.latency_p95_us = p->p95;
        stats_.latency_p99_us = p->p99;
    }
}

}  // namespace meshcall
