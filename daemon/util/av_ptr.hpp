// Owners for FFmpeg objects: one unique_ptr type per AV*/Sws/Swr handle (as Chromium's
// ffmpeg_deleters.h).
#pragma once

#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace meshcall {

struct AVFrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct AVPacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct AVCodecContextDeleter {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
// For demuxers (opened with avformat_open_input).
struct AVInputFormatContextDeleter {
    void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
// For muxers (allocated with avformat_alloc_output_context2); pb is owned elsewhere.
struct AVOutputFormatContextDeleter {
    void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
// For muxers writing to a file of their own (pb opened with avio_open): closes the file too.
struct AVOutputFileContextDeleter {
    void operator()(AVFormatContext* f) const {
        if (f) avio_closep(&f->pb);
        avformat_free_context(f);
    }
};
struct AVIOContextDeleter {
    void operator()(AVIOContext* io) const {
        if (io) av_freep(&io->buffer);
        avio_context_free(&io);
    }
};
struct SwsContextDeleter {
    void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrContextDeleter {
    void operator()(SwrContext* s) const { swr_free(&s); }
};
struct AVAudioFifoDeleter {
    void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};
struct AVDictionaryDeleter {
    void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

using FramePtr = std::unique_ptr<AVFrame, AVFrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, AVPacketDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, AVCodecContextDeleter>;
using InputContextPtr = std::unique_ptr<AVFormatContext, AVInputFormatContextDeleter>;
using OutputContextPtr = std::unique_ptr<AVFormatContext, AVOutputFormatContextDeleter>;
using OutputFileContextPtr = std::unique_ptr<AVFormatContext, AVOutputFileContextDeleter>;
using AVIOContextPtr = std::unique_ptr<AVIOContext, AVIOContextDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;
using SwrContextPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AVAudioFifoDeleter>;

inline FramePtr make_frame() {
    return FramePtr(av_frame_alloc());
}
inline PacketPtr make_packet() {
    return PacketPtr(av_packet_alloc());
}

// AVERROR code in words (thread-safe: no shared buffer).
inline std::string av_error_text(int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    return buf;
}

}  // namespace meshcall
