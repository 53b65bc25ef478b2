// LayerStream: scale, encode, mux one layer.
#include "daemon/send/layer_stream.hpp"

#include <stdexcept>

extern "C" {
#include <libswscale/swscale.h>
}

namespace meshcall {

namespace {
VideoSettings layer_settings(const LayerSpec& spec, const VideoSettings& room) {
    VideoSettings s = room;
    s.width = spec.width;
    s.height = spec.height;
    s.fps = spec.fps;
    s.bitrate_kbps = spec.kbps;
    return s;
}
}  // namespace

LayerStream::LayerStream(const LayerSpec& spec, const VideoSettings& room, bool top,
                         const std::string& service_name, const AVCodecContext* audio,
                         TsMuxer::OnDatagram on_datagram)
    : spec_(spec),
      encoder_(layer_settings(spec, room)),
      copy_(make_packet()),
      every_picture_(spec.fps >= room.fps) {
    muxer_ = std::make_unique<TsMuxer>(service_name, encoder_.context(), audio,
                                       std::move(on_datagram));
    if (top) return;
    scaler_.reset(sws_getContext(room.width, room.height, AV_PIX_FMT_YUV420P, spec.width,
                                 spec.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr,
                                 nullptr));
    scaled_ = make_frame();
    scaled_->format = AV_PIX_FMT_YUV420P;
    scaled_->width = spec.width;
    scaled_->height = spec.height;
    if (!scaler_ || av_frame_get_buffer(scaled_.get(), 0) < 0)
        throw std::runtime_error("cannot set up the " + std::to_string(spec.width) + "x" +
                                 std::to_string(spec.height) + " video layer's scaler");
}

void LayerStream::encode(const AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh,
                         const std::function<void(const AVPacket*)>& on_packet) {
    // The next picture due: one frame interval on, on the capture clock (a skipped picture
    // leaves a gap rather than a drift), and never less than half an interval from this one.
    const int64_t interval = interval_us();
    next_due_us_ = next_due_us_ < 0 ? rel_us + interval
                                    : std::max(next_due_us_ + interval, rel_us + interval / 2);
    AVFrame* in = const_cast<AVFrame*>(frame);
    FramePtr top_ref;
    if (scaler_) {
        if (av_frame_make_writable(scaled_.get()) < 0) return;
        sws_scale(scaler_.get(), frame->data, frame->linesize, 0, frame->height, scaled_->data,
                  scaled_->linesize);
        // The last picture's capture stamp goes; the encoder attaches this one's.
        av_frame_remove_side_data(scaled_.get(), AV_FRAME_DATA_SEI_UNREGISTERED);
        in = scaled_.get();
    } else {
        // The encoder writes pts and the capture stamp into the frame: a reference of our own,
        // so the caller's frame stays as it was for the other layers.
        top_ref = make_frame();
        if (av_frame_ref(top_ref.get(), frame) < 0) return;
        in = top_ref.get();
    }
    const bool clean = refresh || idle_;
    idle_ = false;
    encoder_.encode(in, rel_us, wall_us, clean, [&](AVPacket* p) {
        on_packet(p);
        muxer_->write_video(p);
    });
}

void LayerStream::write_audio(const AVPacket* pkt) {
    if (av_packet_ref(copy_.get(), pkt) < 0) return;
    muxer_->write_audio(copy_.get());
    av_packet_unref(copy_.get());
}

}  // namespace meshcall
