// LayerStream: one video layer of the send path (config/video_layers.hpp): the captured picture
// scaled to the layer's size (none for the top layer), its own x264 encoder and its own TS
// muxer carrying that video plus the call's one Opus stream. Each receiver is sent exactly one
// layer's TS, so every receiver (and a stock player) sees one ordinary stream. A layer nobody is
// sent is not encoded. Send thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "config/video_layers.hpp"
#include "daemon/send/encoders.hpp"
#include "daemon/send/ts_muxer.hpp"
#include "daemon/util/av_ptr.hpp"

namespace meshcall {

class LayerStream {
  public:
    // `audio`: the call's Opus encoder (its packets are written to every layer in use), or
    // null. `top`: the captured pictures are this layer's size already. Throws
    // std::runtime_error when the encoder or muxer cannot be set up.
    LayerStream(const LayerSpec& spec, const VideoSettings& room, bool top,
                const std::string& service_name, const AVCodecContext* audio,
                TsMuxer::OnDatagram on_datagram);

    const LayerSpec& spec() const { return spec_; }
    const VideoEncoder& encoder() const { return encoder_; }

    // Whether a picture captured at `rel_us` is one of this layer's (a layer below the capture
    // rate takes every other one, say).
    // A quarter interval early still counts: capture jitter must not skip pictures.
    // A layer at the capture rate takes every picture.
    bool due(int64_t rel_us) const {
        return every_picture_ || next_due_us_ < 0 || rel_us >= next_due_us_ - interval_us() / 4;
    }
    // Scales (if needed) and encodes `frame`; `refresh` forces an IDR. `on_packet` sees each
    // encoded packet before it is muxed (a switch to this layer happens at its IDR).
    void encode(const AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh,
                const std::function<void(const AVPacket*)>& on_packet);
    // A copy of one Opus packet (the encoder's time base) into this layer's TS.
    void write_audio(const AVPacket* pkt);
    // Not encoded for a while: the next picture it encodes must be an IDR.
    void set_idle() { idle_ = true; }
    bool idle() const { return idle_; }

  private:
    int64_t interval_us() const { return 1'000'000 / std::max(1, spec_.fps); }

    LayerSpec spec_;
    VideoEncoder encoder_;
    std::unique_ptr<TsMuxer> muxer_;
    SwsContextPtr scaler_;  // null for the top layer
    FramePtr scaled_;
    PacketPtr copy_;
    int64_t next_due_us_ = -1;
    bool every_picture_ = false;
    bool idle_ = true;
};

}  // namespace meshcall
