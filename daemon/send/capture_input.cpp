// CaptureInput: read, decode and convert one capture device on its own thread.
#include "daemon/send/capture_input.hpp"

#include <mutex>

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

void CaptureInput::run(CaptureQueue& out) {
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
    const int64_t now_wall = av_gettime(), now_mono = av_gettime_relative();
    if (av_audio_fifo_size(fifo_.get()) == 0) {
        audio_wall_us_ = now_wall;
        audio_mono_us_ = now_mono;
    }
    const int n = resampler_.convert(*in, mono_);
    if (n <= 0) return;
    void* planes[1] = {mono_.data()};
    if (av_audio_fifo_write(fifo_.get(), planes, n) < n) return;  // out of memory: a gap
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
