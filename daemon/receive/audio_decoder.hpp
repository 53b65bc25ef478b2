// AudioDecoder: libavcodec's decoder for the sound a stock sender sends (MP2, AAC) and for
// Opus with more than two channels (multistream), played in arrival order, each frame
// resampled to mono float at 48 kHz (rebuilt when the format changes mid-stream) into the
// peer's SoundOutput. One thread: that peer's receiver.
#pragma once

#include <string>
#include <vector>

#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/receive/sound_output.hpp"
#include "daemon/receive/stream_decoder.hpp"
#include "daemon/util/resampler.hpp"

namespace meshcall {

class AudioDecoder {
  public:
    AudioDecoder(PeerMediaStats& stats, SoundOutput& out);

    // Replaces the decoder (and the resampler) with one for `stream`; false (with `error`)
    // when it cannot be opened.
    bool open(const AVStream& stream, std::string& error);
    bool decodes(int stream_index) const { return decoder_.decodes(stream_index); }
    int stream() const { return decoder_.stream(); }
    // Decodes one packet of the stream opened.
    void decode(const AVPacket* pkt);
    // Decodes a PES of Opus access units (no parser split them), one unit at a time.
    void decode_opus_pes(const AVPacket* pkt);

  private:
    void on_frame(const AVFrame* f);

    PeerMediaStats& stats_;
    SoundOutput& out_;
    StreamDecoder decoder_;
    Resampler resampler_;
    std::vector<float> mono_;
    AVRational time_base_{1, 90000};
    PacketPtr unit_ = make_packet();  // borrows one access unit of a PES
};

}  // namespace meshcall
