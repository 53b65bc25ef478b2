// StreamDecoder: the libavcodec decoder of one stream of the current demuxer, and the
// send-packet / receive-frames loop around it. One thread: that peer's receiver.
#pragma once

#include <string>

#include "daemon/util/av_ptr.hpp"
#include "daemon/util/codec_open.hpp"

namespace meshcall {

class StreamDecoder {
  public:
    // Replaces the decoder with one for `stream`. On failure none is left (and `error` says
    // why); returns whether one was opened.
    bool open(const AVStream& stream, const DecoderOptions& options, std::string& error);
    // Opened for this stream index.
    bool decodes(int stream_index) const { return ctx_ && stream_ == stream_index; }
    int stream() const { return stream_; }

    // Sends `pkt` and hands each decoded frame to `on_frame(AVFrame*)`, video frames marked
    // corrupt excepted. Returns the decode errors met (0 or 1).
    template <typename OnFrame>
    int decode(const AVPacket* pkt, OnFrame&& on_frame);

  private:
    int stream_ = -1;
    CodecContextPtr ctx_;
    FramePtr frame_ = make_frame();
};

template <typename OnFrame>
int StreamDecoder::decode(const AVPacket* pkt, OnFrame&& on_frame) {
    if (!frame_ || avcodec_send_packet(ctx_.get(), pkt) < 0) return 1;
    for (;;) {
        const int r = avcodec_receive_frame(ctx_.get(), frame_.get());
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
        if (r < 0) return 1;
        if (!(frame_->flags & AV_FRAME_FLAG_CORRUPT) || ctx_->codec_type == AVMEDIA_TYPE_AUDIO)
            on_frame(frame_.get());
        av_frame_unref(frame_.get());
    }
}

}  // namespace meshcall
