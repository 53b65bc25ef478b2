// PeerReceiver: one remote participant's receive thread, and the dispatch between its stages.
// Its datagrams come from its queue (DatagramReader, which also drops a stale backlog) into an
// MPEG-TS demuxer (TsDemuxer); each packet goes to the stage for its stream: pictures to
// VideoDecoder (→ LatestFrame, held for its sound by AvSync), mono and stereo Opus to OpusPath (timestamp order, loss
// concealed), other sound (stock senders' MP2/AAC, multistream Opus) to AudioDecoder; sound
// leaves through SoundOutput (→ SampleRing). A reset marker in the queue (the sender restarted)
// starts a new demuxer.
// Threads: the event loop pushes to queue(); any thread reads stats(), video(), audio();
// start() and stop() from the event loop thread (the session starts and ends the call there);
// everything else runs on the receiver's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "config/room.hpp"
#include "daemon/receive/av_sync.hpp"
#include "daemon/receive/datagram_reader.hpp"
#include "daemon/receive/opus_path.hpp"
#include "daemon/receive/peer_datagram.hpp"
#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/receive/sound_output.hpp"
#include "daemon/util/latest_frame.hpp"
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

class PeerReceiver {
  public:
    static constexpr std::size_t kQueueDatagrams = 1024;
    // The monotonic clock, in µs (av_gettime_relative).
    static int64_t default_clock();

    // `clock`: the monotonic clock (µs) the event loop stamps datagrams' arrival with; a test
    // passes its own to judge stale datagrams without sleeping. `playout`: when the mix is heard
    // (lip sync: pictures are held for their sound); none: pictures are shown at once.
    PeerReceiver(std::string name, const VideoSettings& room_video,
                 DatagramReader::Clock clock = &default_clock,
                 const PlayoutClock* playout = nullptr);
    ~PeerReceiver();

    void start();
    void stop();  // closes the queue and joins

    // One demuxer's life on the calling thread, without start(): reads the queue until a reset
    // marker or close() ends the stream. For the fuzzer and tests; a started receiver does this
    // in a loop on its own thread.
    void demux_pass() { run_demuxer(); }

    PeerDatagramQueue& queue() { return queue_; }
    const PeerMediaStats& stats() const { return stats_; }
    const LatestFrame& video() const { return video_; }
    SampleRing& audio() { return audio_; }
    const std::string& name() const { return name_; }
    // Lip sync: whether pictures are scheduled on the sound (the offset is video().lateness_us()).
    bool av_synced() const { return av_sync_.active(); }

  private:
    struct Stages;  // one demuxer's decoders (peer_receiver.cpp)

    void run();
    void run_demuxer();
    // Sends one packet to its stage, opening (or refusing) a decoder for a stream not seen yet.
    void dispatch(const AVStream& st, const AVPacket* pkt, Stages& stages);
    // A new or changed stream of `st`'s type: a decoder for it, or its refusal (counted).
    void open_stream(const AVStream& st, Stages& stages);

    std::string name_;
    int64_t max_pixels_;
    PeerDatagramQueue queue_{kQueueDatagrams};
    PeerMediaStats stats_;
    LatestFrame video_;
    SampleRing audio_{kSampleRingCapacity};
    AvSync av_sync_;  // written by this thread only; its active() read by any
    SoundOutput sound_{audio_, stats_, &av_sync_};
    // The Opus path outlives one packet: sound held behind a gap is played while the demuxer
    // waits for datagrams (the reader's idle hook). Reset with each demuxer.
    OpusPath opus_{stats_, sound_};
    std::atomic<bool> stop_{false};
    DatagramReader reader_;
    std::thread thread_;
};

}  // namespace meshcall
