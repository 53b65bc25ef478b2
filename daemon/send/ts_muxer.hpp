// TsMuxer: the participant's one MPEG-TS stream, written through a custom AVIO callback that
// cuts it into datagrams of up to 7 x 188 bytes. Each packet written is one PES, flushed at
// once: a video frame is its own datagrams, and so is each 40 ms Opus packet (one TS packet at
// 32 kbit/s: AudioEncoder). Send thread only.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

class TsMuxer {
  public:
    using OnDatagram = std::function<void(std::span<const uint8_t>)>;

    // Either encoder may be null (no video / no sound). The SDT service name is `name`.
    // Throws std::runtime_error if the muxer cannot be set up.
    TsMuxer(const std::string& name, const AVCodecContext* video, const AVCodecContext* audio,
            OnDatagram on_datagram);
    ~TsMuxer();

    // Writes one encoded packet (time base of its encoder) as one PES and flushes it to the wire
    // at once (a sound packet too, which the muxer alone would hold until the next one).
    void write_video(AVPacket* pkt);
    void write_audio(AVPacket* pkt);

  private:
    void write(AVPacket* pkt, int stream, AVRational from);
    static int on_write(void* opaque, uint8_t* buf, int size);  // FFmpeg 5.1: non-const

    OnDatagram on_datagram_;
    AVIOContextPtr io_;
    OutputContextPtr oc_;
    int video_stream_ = -1, audio_stream_ = -1;
    AVRational video_tb_{}, audio_tb_{};
    bool header_written_ = false;
};

}  // namespace meshcall
