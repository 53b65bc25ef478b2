// CaptureInput: read, decode and convert one capture device on its own thread.
#include "daemon/send/capture_input.hpp"

#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>

#include "daemon/util/codec_open.hpp"
#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

extern "C" {
#include <libavdevice/avdevice.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/time.h>
}

namespace meshcall {

std::unique_ptr<CaptureInput> CaptureInput::open(const InputSpec& spec, const VideoSettings& video,
                                                 std::string& error) {
    static std::once_flag devices_registered;
    std::call_once(devices_registered, [] { avdevice_register_all(); });

    std::unique_ptr<CaptureInput> in(new CaptureInput());
    in->spec_ = spec;
    in->video_ = video;
    if (spec.format == "pulse") {
        in->pulse_ = PulseCapture::open(spec.url, error);
        if (!in->pulse_) return nullptr;
        in->audio_stream_ = 0;
        in->fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 1, kAudioRate));
        if (!in->fifo_) {
            error = spec.label + ": cannot open: out of memory";
            return nullptr;
        }
        return in;
    }
    const AVInputFormat* fmt = av_find_input_format(spec.format.c_str());
    if (!fmt) {
        error = spec.label + ": this FFmpeg has no \"" + spec.format + "\" input";
        return nullptr;
    }
    AVDictionary* opts = nullptr;
    for (const auto& [k, v] : spec.options) av_dict_set(&opts, k.c_str(), v.c_str(), 0);
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) {
        av_dict_free(&opts);
        error = spec.label + ": cannot open: out of memory";
        return nullptr;
    }
    raw->interrupt_callback = {&CaptureInput::interrupt, in.get()};
    int rc = avformat_open_input(&raw, spec.url.c_str(), fmt, &opts);
    av_dict_free(&opts);
    if (rc < 0) {  // avformat_open_input freed `raw`
        error = spec.label + ": cannot open: " + av_error_text(rc);
        return nullptr;
    }
    in->format_.reset(raw);
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
        AVStream* st = raw->streams[i];
        CodecContextPtr* decoder = nullptr;
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && in->video_stream_ < 0) {
            decoder = &in->video_decoder_;
            in->video_stream_ = static_cast<int>(i);
        } else if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && in->audio_stream_ < 0) {
            decoder = &in->audio_decoder_;
            in->audio_stream_ = static_cast<int>(i);
        }
        if (!decoder) continue;
        std::string why;
        *decoder = open_decoder(*st, DecoderOptions{}, why);
        if (!*decoder) {
            error = spec.label + ": " + why;
            return nullptr;
        }
    }
    if (in->video_stream_ < 0 && in->audio_stream_ < 0) {
        error = spec.label + ": has neither video nor audio";
        return nullptr;
    }
    if (in->audio_stream_ >= 0) {
        in->fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 1, kAudioRate));
        if (!in->fifo_) {
            error = spec.label + ": cannot open: out of memory";
            return nullptr;
        }
    }
    return in;
}

CaptureInput::~CaptureInput() {
    stop();
}

int CaptureInput::interrupt(void* self) {
    return static_cast<CaptureInput*>(self)->stop_.load(std::memory_order_relaxed) ? 1 : 0;
}

void CaptureInput::start(CaptureQueue& out) {
    thread_ = std::thread([this, &out] {
        run_thread(has_video() ? "capture:video" : "capture:audio", [this, &out] { run(out); });
    });
}

void CaptureInput::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void CaptureInput::set_audio_processing(std::unique_ptr<AudioProcessor> processor,
                                        FarEnd* far_end, const PlayoutClock* playout) {
    processor_ = std::move(processor);
    far_end_ = far_end;
    playout_ = playout;
    far_block_.assign(AudioProcessor::kBlock, 0.f);
}

void CaptureInput::run_pulse(CaptureQueue& out) {
    while (!stop_) {
        if (!pulse_) {
            // Lost: try again every second (stopping within 50 ms).
            for (int i = 0; i < 20 && !stop_; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (stop_) break;
            std::string error;
            pulse_ = PulseCapture::open(spec_.url, error);
            if (!pulse_) {
                spdlog::debug("{}", error);
                continue;
            }
            lost_ = false;
            spdlog::warn("{}: back; its sound is sent again", spec_.label);
        }
        std::string error;
        switch (pulse_->read(pulse_read_, std::chrono::milliseconds(100), error)) {
            case PulseCapture::Read::data:
                queue_audio(pulse_read_.data(), static_cast<int>(pulse_read_.size()), out);
                break;
            case PulseCapture::Read::none:
                break;
            case PulseCapture::Read::lost:
                spdlog::warn("{}: lost ({}); the call goes on, trying it again every second",
                             spec_.label, error);
                lost_ = true;
                pulse_.reset();
                av_audio_fifo_reset(fifo_.get());
                near_.clear();
                break;
        }
    }
}

void CaptureInput::run(CaptureQueue& out) {
    if (spec_.format == "pulse") return run_pulse(out);
    PacketPtr pkt = make_packet();
    FramePtr frame = make_frame();
    int failures = 0;
    while (!stop_) {
        int rc = av_read_frame(format_.get(), pkt.get());
        if (rc == AVERROR(EAGAIN)) {
            av_usleep(2000);
            continue;
        }
        if (rc < 0) {
            if (stop_) break;
            if (rc == AVERROR_EOF || ++failures > 50) {
                spdlog::error("{}: capture ended: {}", spec_.label, av_error_text(rc));
                break;
            }
            av_usleep(10000);
            continue;
        }
        failures = 0;
        AVCodecContext* dec = nullptr;
        if (pkt->stream_index == video_stream_) dec = video_decoder_.get();
        if (pkt->stream_index == audio_stream_) dec = audio_decoder_.get();
        if (dec && avcodec_send_packet(dec, pkt.get()) >= 0) {
            while (avcodec_receive_frame(dec, frame.get()) >= 0) {
                if (dec == video_decoder_.get())
                    handle_video(frame.get(), out);
                else
                    handle_audio(frame.get(), out);
                av_frame_unref(frame.get());
            }
        }
        av_packet_unref(pkt.get());
    }
}

void CaptureInput::handle_video(AVFrame* in, CaptureQueue& out) {
    CapturedFrame c;
    c.type = AVMEDIA_TYPE_VIDEO;
    c.wall_us = av_gettime();
    c.mono_us = av_gettime_relative();
    if (in->format == AV_PIX_FMT_YUV420P && in->width == video_.width &&
        in->height == video_.height) {
        c.frame = make_frame();
        if (av_frame_ref(c.frame.get(), in) < 0) return;
    } else {
        sws_.reset(sws_getCachedContext(sws_.release(), in->width, in->height,
                                        static_cast<AVPixelFormat>(in->format), video_.width,
                                        video_.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr,
                                        nullptr, nullptr));
        if (!sws_) return;
        c.frame = make_frame();
        c.frame->format = AV_PIX_FMT_YUV420P;
        c.frame->width = video_.width;
        c.frame->height = video_.height;
        if (av_frame_get_buffer(c.frame.get(), 0) < 0) return;
        sws_scale(sws_.get(), in->data, in->linesize, 0, in->height, c.frame->data,
                  c.frame->linesize);
    }
    c.frame->pts = AV_NOPTS_VALUE;
    out.push(std::move(c));
}

void CaptureInput::handle_audio(AVFrame* in, CaptureQueue& out) {
    if (int rc = resampler_.configure(*in); rc < 0) {
        spdlog::error("{}: cannot convert its sound ({} Hz, {} channels) to mono 48 kHz: {}",
                      spec_.label, in->sample_rate, in->ch_layout.nb_channels, av_error_text(rc));
        stop_ = true;
        return;
    }
    const int n = resampler_.convert(*in, mono_);
    if (n <= 0) return;
    queue_audio(mono_.data(), n, out);
}

int CaptureInput::delay_hint_ms() {
    const auto output = playout_ ? playout_->output_latency_us() : std::nullopt;
    const int64_t capture = pulse_ ? pulse_->latency_us() : 10'000;
    const double now_ms = double(output.value_or(0) + capture) / 1000;
    // The devices' reported latencies wobble from one reading to the next; the canceller starts
    // over when its hint jumps, so it gets a slow average (about a second to follow a change).
    delay_avg_ms_ = delay_avg_ms_ < 0 ? now_ms : delay_avg_ms_ + 0.05 * (now_ms - delay_avg_ms_);
    return static_cast<int>(std::lround(delay_avg_ms_));
}

void CaptureInput::queue_audio(const float* mono, int n, CaptureQueue& out) {
    const int64_t now_wall = av_gettime(), now_mono = av_gettime_relative();
    if (av_audio_fifo_size(fifo_.get()) == 0) {
        audio_wall_us_ = now_wall;
        audio_mono_us_ = now_mono;
    }
    if (processor_) {
        // Whole 10 ms blocks, each after its share of the far end played meanwhile (in order).
        near_.insert(near_.end(), mono, mono + n);
        constexpr std::size_t kBlock = AudioProcessor::kBlock;
        const std::size_t blocks = near_.size() / kBlock;
        if (blocks == 0) return;
        const std::size_t far = far_end_ ? far_end_->blocks() : 0;
        const int delay = delay_hint_ms();
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::size_t feed = (b + 1) * far / blocks - b * far / blocks;
            for (std::size_t k = 0; k < feed && far_end_->pop_block(far_block_); ++k)
                processor_->reverse(far_block_);
            processor_->process({near_.data() + b * kBlock, kBlock}, delay);
        }
        void* planes[1] = {near_.data()};
        const int done = static_cast<int>(blocks * kBlock);
        const bool written = av_audio_fifo_write(fifo_.get(), planes, done) >= done;
        near_.erase(near_.begin(), near_.begin() + done);
        if (!written) return;  // out of memory: a gap
    } else {
        void* planes[1] = {const_cast<float*>(mono)};
        if (av_audio_fifo_write(fifo_.get(), planes, n) < n) return;  // out of memory: a gap
    }
    while (av_audio_fifo_size(fifo_.get()) >= kAudioFrameSamples) {
        CapturedFrame c;
        c.type = AVMEDIA_TYPE_AUDIO;
        c.wall_us = audio_wall_us_;
        c.mono_us = audio_mono_us_;
        c.frame = make_frame();
        c.frame->format = AV_SAMPLE_FMT_FLT;
        c.frame->sample_rate = kAudioRate;
        c.frame->ch_layout = AV_CHANNEL_LAYOUT_MONO;
        c.frame->nb_samples = kAudioFrameSamples;
        if (av_frame_get_buffer(c.frame.get(), 0) < 0) return;
        av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(c.frame->data),
                           kAudioFrameSamples);
        const int64_t step = int64_t{kAudioFrameSamples} * 1'000'000 / kAudioRate;
        audio_wall_us_ += step;
        audio_mono_us_ += step;
        out.push(std::move(c));
    }
}

}  // namespace meshcall
