// VideoDecoder: the H.264 decoder of one demuxer's video stream. Each picture goes to the
// peer's LatestFrame, for the moment its sound is heard when AvSync knows it (lip sync), else at
// once; its capture stamp gives the capture-to-decode latency (histogram, and
// percentiles over a LatencyWindow, published once a second with the mean colour). One
// thread: that peer's receiver; the LatestFrame and PeerMediaStats are read elsewhere.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/receive/av_sync.hpp"
#include "daemon/receive/latency_window.hpp"
#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/receive/stream_decoder.hpp"
#include "daemon/util/latest_frame.hpp"

namespace meshcall {

class VideoDecoder {
  public:
    // Pictures over `max_pixels` are refused by the decoder.
    VideoDecoder(PeerMediaStats& stats, LatestFrame& out, int64_t max_pixels,
                 const AvSync* sync = nullptr);

    // Replaces the decoder with one for `stream`; false (with `error`) when it cannot be opened.
    bool open(const AVStream& stream, std::string& error);
    bool decodes(int stream_index) const { return decoder_.decodes(stream_index); }
    int stream() const { return decoder_.stream(); }
    // Decodes one packet of the stream opened; errors counted in decode_errors.
    void decode(const AVPacket* pkt);

  private:
    void on_picture(const AVFrame* f);
    // To the LatestFrame: scheduled on the sound when AvSync is active, else at once.
    void publish(const AVFrame* f);
    // The sender's capture stamp, if it has one that is sane, into the latency measures.
    void measure_latency(const AVFrame* f, int64_t now_us);

    PeerMediaStats& stats_;
    LatestFrame& out_;
    const AvSync* sync_;
    AVRational time_base_{1, 90000};
    DecoderOptions options_;
    StreamDecoder decoder_;
    LatencyWindow latencies_;
    int64_t next_stats_us_ = 0;
};

}  // namespace meshcall
