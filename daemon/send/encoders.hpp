// Encoders: the one H.264 encoder (libx264, low latency, intra refresh) and the one Opus encoder
// of a participant. Send thread only.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "config/room.hpp"
#include "daemon/util/av_ptr.hpp"

namespace meshcall {

// Called with each encoded packet (pts/dts in the encoder's time base).
using OnPacket = std::function<void(AVPacket*)>;

class VideoEncoder {
  public:
    // Throws std::runtime_error if libx264 cannot be opened.
    explicit VideoEncoder(const VideoSettings& settings);

    // Encodes one yuv420p frame captured `rel_us` after the call's start (monotonic clock) and
    // at `wall_us` (wall clock, carried in-band). `refresh`: a clean picture now (video back on).
    void encode(AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh, const OnPacket& out);

    const AVCodecContext* context() const { return ctx_.get(); }
    // Frames the encoder refused (any thread may read).
    uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

  private:
    CodecContextPtr ctx_;
    PacketPtr pkt_;
    int64_t last_pts_ = -1;
    std::atomic<uint64_t> failures_{0};
};

// Opus in 40 ms packets at a constant size that ends on a TS packet: the 20 ms blocks of the
// capture are encoded in pairs, so each packet costs one PES and, at 32 kbit/s, exactly one
// 188-byte TS packet and one datagram (half the datagrams of 20 ms packets, for 20 ms more
// delay: docs/benchmarks.md, "Sound's wire cost").
class AudioEncoder {
  public:
    static constexpr int kFrameMs = 40;

    explicit AudioEncoder(const AudioSettings& settings);

    // Takes one block of mono float at 48 kHz (20 ms from the capture) captured `rel_us` after
    // the call's start; `out` gets a packet each time 40 ms have been gathered.
    void encode(AVFrame* frame, int64_t rel_us, const OnPacket& out);

    const AVCodecContext* context() const { return ctx_.get(); }
    uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
    // The bitrate asked of libopus: the room's, trimmed by up to 2 % to end on a TS packet.
    static int64_t packet_bitrate(int kbps);

  private:
    CodecContextPtr ctx_;
    PacketPtr pkt_;
    FramePtr pending_;  // the 40 ms being gathered: ctx_->frame_size samples
    int filled_ = 0;    // samples of pending_ gathered so far
    int64_t next_pts_ = -1;
    std::atomic<uint64_t> failures_{0};
};

}  // namespace meshcall
