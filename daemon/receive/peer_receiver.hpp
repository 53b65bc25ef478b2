// PeerReceiver: one remote participant's demux + decode thread. It reads that peer's datagrams
// from its queue through a custom AVIO, demuxes the TS with no probing, decodes with one
// thread, and publishes the newest picture (LatestFrame) and decoded sound (SampleRing).
// Opus sound is put back in timestamp order and its gaps concealed (AudioReorder, libopus)
// before it reaches the ring; other audio codecs (stock senders' MP2/AAC) play as they come.
// The event loop pushes datagrams; any thread reads the stats; stop() from the session thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "config/room.hpp"
#include "daemon/receive/audio_reorder.hpp"
#include "daemon/util/av_ptr.hpp"
#include "daemon/util/bounded_queue.hpp"
#include "daemon/util/latest_frame.hpp"
#include "daemon/receive/opus_decoder.hpp"
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

struct PeerDatagram {
    bool reset = false;  // the sender restarted: start a new demuxer
    std::vector<uint8_t> bytes;
};
using PeerDatagramQueue = BoundedQueue<PeerDatagram>;

// Written by the receiver thread, read by anyone.
struct PeerMediaStats {
    // Capture-to-decode latency since the start, in 1 ms buckets; the last one is "200 ms or more".
    static constexpr std::size_t kLatencyBuckets = 201;
    std::array<std::atomic<uint32_t>, kLatencyBuckets> latency_histogram{};
    std::atomic<uint64_t> video_frames{0};
    std::atomic<uint64_t> audio_frames{0};
    std::atomic<uint64_t> decode_errors{0};
    std::atomic<uint64_t> rejected_streams{0};  // streams not on the codec whitelist, or too big
    std::atomic<uint64_t> restarts{0};          // demuxers started after the first
    // Opus packets put back in order, dropped as duplicates or too late, gaps concealed, and
    // timeline jumps (AudioReorder's counters, this peer's whole call).
    std::atomic<uint64_t> audio_reordered{0};
    std::atomic<uint64_t> audio_stale{0};
    std::atomic<uint64_t> audio_concealed{0};
    std::atomic<uint64_t> audio_concealed_samples{0};  // at 48 kHz
    std::atomic<uint64_t> audio_jumps{0};     // the sender's audio timeline jumped (not concealed)
    std::atomic<int64_t> latency_p50_us{-1};  // capture-to-decode, over the last seconds
    std::atomic<int64_t> latency_p95_us{-1};
    std::atomic<int64_t> latency_p99_us{-1};
    std::atomic<int> width{0}, height{0};
    std::atomic<uint32_t> mean_rgb{0};    // 0xRRGGBB of the last sampled picture
    std::atomic<float> audio_level{0.f};  // RMS of the last decoded block, 0..1
    std::atomic<bool> has_video_stream{false};
    std::atomic<bool> has_audio_stream{false};
};

class PeerReceiver {
  public:
    PeerReceiver(std::string name, const VideoSettings& room_video);
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

  private:
    void run();
    void run_demuxer();
    // A new Opus path: an empty reorder buffer and, for `channels` 1 or 2, a decoder (0: none).
    void reset_opus(int channels);
    // Decodes or conceals whatever the reorder buffer lets go of, into the ring.
    void play_audio();
    void publish_audio(std::span<const float> mono);
    static int read_packet(void* opaque, uint8_t* buf, int size);
    static int interrupt(void* opaque);

    std::string name_;
    int64_t max_pixels_;
    PeerDatagramQueue queue_{1024};
    PeerMediaStats stats_;
    LatestFrame video_;
    SampleRing audio_{kSampleRingCapacity};
    // The Opus path (one demuxer's life): timestamp order, then libopus with concealment.
    AudioReorder reorder_;
    std::unique_ptr<OpusAudioDecoder> opus_;
    std::vector<float> opus_out_;
    AudioReorder::Counters counted_;  // reorder_'s counters already added to stats_
    std::atomic<bool> stop_{false};
    bool reset_seen_ = false;
    std::vector<uint8_t> pending_;  // datagram bytes not yet handed to AVIO
    std::size_t pending_pos_ = 0;
    std::thread thread_;
};

}  // namespace meshcall
