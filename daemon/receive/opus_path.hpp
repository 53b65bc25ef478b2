// OpusPath: mono and stereo Opus from a meshcall sender: each PES split into its access units
// (protocol/opus_ts), put back in timestamp order (AudioReorder), decoded by libopus with gaps
// recovered from in-band FEC or concealed (OpusAudioDecoder), into the peer's SoundOutput; the
// reorder buffer's counters are added to PeerMediaStats. One thread: that peer's receiver.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/receive/audio_reorder.hpp"
#include "daemon/receive/opus_decoder.hpp"
#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/receive/sound_output.hpp"

extern "C" {
#include <libavcodec/packet.h>
}

namespace meshcall {

class OpusPath {
  public:
    OpusPath(PeerMediaStats& stats, SoundOutput& out) : stats_(stats), out_(out) {}

    // A new path: an empty reorder buffer and, for `channels` 1 or 2, a decoder (0: none).
    void reset(int channels);
    bool active() const { return decoder_ != nullptr; }
    // Takes one PES (timestamps in `time_base`) of Opus access units, then plays what it can.
    void push_pes(const AVPacket* pkt, AVRational time_base);
    // Decodes or conceals whatever the reorder buffer lets go of now.
    void play();
    // How long the receiver may wait for datagrams before calling play() again (µs): a few ms
    // while sound is held behind a gap or the next packet is overdue.
    int64_t wait_us() const;

  private:
    // Adds what the reorder buffer counted since last time to stats_.
    void add_counters();

    PeerMediaStats& stats_;
    SoundOutput& out_;
    AudioReorder reorder_;
    std::unique_ptr<OpusAudioDecoder> decoder_;
    std::vector<float> pcm_;
    AudioReorder::Counters counted_;  // reorder_'s counters already added to stats_
};

}  // namespace meshcall
