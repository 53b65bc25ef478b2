// WavRecorder: the "wav" thread drains the mix from a lock-free ring into libavformat's wav muxer.
#include "daemon/audio/wav_recorder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

extern "C" {
#include <libavutil/intreadwrite.h>
}

#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

namespace meshcall {

namespace {
constexpr AVRational kSampleTime{1, WavRecorder::kRate};
constexpr auto kDrainPeriod = std::chrono::milliseconds(20);
using DictionaryPtr = std::unique_ptr<AVDictionary, AVDictionaryDeleter>;
}  // namespace

WavRecorder::WavRecorder(const std::string& path)
    : path_(path), packet_(make_packet()), block_(kMaxPacket) {
    if (!packet_) throw std::runtime_error("out of memory");
    AVFormatContext* raw = nullptr;
    int err = avformat_alloc_output_context2(&raw, nullptr, "wav", path.c_str());
    if (err < 0) throw std::runtime_error("no wav muxer: " + av_error_text(err));
    muxer_.reset(raw);
    AVStream* stream = avformat_new_stream(raw, nullptr);
    if (!stream) throw std::runtime_error("out of memory");
    AVCodecParameters* par = stream->codecpar;
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_PCM_S16LE;
    par->sample_rate = kRate;
    av_channel_layout_default(&par->ch_layout, 1);
    par->bits_per_coded_sample = 16;
    par->block_align = 2;
    par->bit_rate = int64_t{kRate} * 16;
    stream->time_base = kSampleTime;
    raw->flush_packets = 1;  // each packet goes to the file at once: it grows as we record
    err = avio_open(&raw->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (err < 0) throw std::runtime_error(av_error_text(err));
    thread_ = std::thread([this] { run_thread("wav", [this] { run(); }); });
}

WavRecorder::~WavRecorder() {
    {
        std::lock_guard lock(stop_mutex_);
        stop_ = true;
    }
    stop_cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::size_t WavRecorder::push(std::span<const float> samples) {
    if (failed_.load(std::memory_order_relaxed)) return 0;
    const std::size_t queued = ring_.write(samples);
    if (queued < samples.size())
        dropped_.fetch_add(samples.size() - queued, std::memory_order_relaxed);
    return queued;
}

void WavRecorder::run() {
    try {
        if (!write_header()) return;
        std::unique_lock lock(stop_mutex_);
        for (;;) {
            const bool stopping = stop_cv_.wait_for(lock, kDrainPeriod, [this] { return stop_; });
            lock.unlock();
            // After stop the producers are gone: this drain takes the last of the mix.
            if (!write_queued()) return;
            if (stopping) {
                write_trailer();
                return;
            }
            lock.lock();
        }
    } catch (const std::exception& e) {
        failed_.store(true, std::memory_order_release);
        spdlog::error("recording {} stopped: {}; the call goes on", path_, e.what());
    }
}

void WavRecorder::fail(const char* step, int err) {
    failed_.store(true, std::memory_order_release);
    spdlog::error("recording {} stopped: {} failed: {}; the call goes on", path_, step,
                  av_error_text(err));
}

bool WavRecorder::write_header() {
    AVDictionary* raw = nullptr;
    // A header that RF64 can replace at the end, should the file pass 4 GB (12 h of mix).
    int err = av_dict_set(&raw, "rf64", "auto", 0);
    DictionaryPtr options(raw);
    if (err < 0) {
        fail("setting the muxer's options", err);
        return false;
    }
    raw = options.release();
    err = avformat_write_header(muxer_.get(), &raw);
    options.reset(raw);
    if (err < 0) {
        fail("writing the header", err);
        return false;
    }
    if (const AVDictionaryEntry* e = av_dict_get(options.get(), "", nullptr, AV_DICT_IGNORE_SUFFIX))
        spdlog::warn("recording {}: the wav muxer ignored its option {}", path_, e->key);
    return true;
}

bool WavRecorder::write_queued() {
    const AVRational stream_time = muxer_->streams[0]->time_base;
    for (;;) {
        const std::size_t n = ring_.read(block_);
        if (n == 0) break;
        AVPacket* pkt = packet_.get();
        int err = av_new_packet(pkt, static_cast<int>(n * 2));
        if (err < 0) {
            fail("allocating a packet", err);
            return false;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const long v = std::lround(std::clamp(block_[i], -1.f, 1.f) * 32767.f);
            AV_WL16(pkt->data + 2 * i, static_cast<uint16_t>(static_cast<int16_t>(v)));
        }
        pkt->stream_index = 0;
        pkt->pts = pkt->dts = av_rescale_q(next_pts_, kSampleTime, stream_time);
        pkt->duration = av_rescale_q(static_cast<int64_t>(n), kSampleTime, stream_time);
        err = av_write_frame(muxer_.get(), pkt);
        av_packet_unref(pkt);
        if (err < 0) {
            fail("writing", err);
            return false;
        }
        next_pts_ += static_cast<int64_t>(n);
        written_.fetch_add(n, std::memory_order_release);
    }
    // Losses, once when they start and once when they stop.
    const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped > dropped_logged_ && !dropping_) {
        spdlog::warn("recording {}: the file cannot keep up; losing the newest sound", path_);
        dropping_ = true;
    } else if (dropped == dropped_logged_ && dropping_) {
        spdlog::warn("recording {}: keeping up again; {} ms of the mix lost in all", path_,
                     dropped * 1000 / kRate);
        dropping_ = false;
    }
    dropped_logged_ = dropped;
    return true;
}

bool WavRecorder::write_trailer() {
    int err = av_write_trailer(muxer_.get());
    if (err < 0) {
        fail("writing the trailer", err);
        return false;
    }
    err = avio_closep(&muxer_->pb);
    if (err < 0) {
        fail("closing the file", err);
        return false;
    }
    spdlog::info("recorded {} ({} s)", path_, double(next_pts_) / kRate);
    return true;
}

}  // namespace meshcall
