// ArrivalMonitor: how one sender's datagrams arrive here, for its congestion control: the rate
// received, the loss, and GCC's delay signal (is the path's queue filling?). The receiver reports
// these to the sender every ~250 ms; the sender's RateController acts on them.
//
// The delay signal groups datagrams by video frame: a TS packet with payload_unit_start on a PES
// of stream_id 0xE0..0xEF starts a frame, its timestamp (DTS when the PES has one, else PTS:
// 33 bits of 90 kHz) is the frame's send time, and the frame's arrival is that of the last
// datagram carrying its video, known when the next frame starts. DelayTrend turns consecutive
// frames into the signal. The send time is the capture clock the muxer stamps, not the moment
// the datagram left: encoder and pacing jitter read as delay noise (the adaptive threshold
// absorbs it; the trend over 20 frames averages it). A timestamp jump of over 5 s either way is a
// sender restart (or a camera that was off): the detector starts afresh. A stream with no video
// (sound only) never has a frame: the signal stays normal.
//
// Loss: from the sealed wire's datagram counter when there is one (exact, in datagrams), else
// from the TS continuity counters of the media PIDs (those that carried a video or audio PES), in
// TS packets; both give a gap 100 ms to be filled by late datagrams before it counts (see
// arrival_loss.hpp for the limits of the 4-bit counters). A keyframe whose counter does not
// follow is a splice (the sender moved us to another video layer's stream), not a loss.
//
// Threads: the event-loop thread only (checked in debug builds).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "daemon/receive/arrival_loss.hpp"
#include "daemon/receive/delay_trend.hpp"
#include "daemon/util/delay_signal.hpp"
#include "daemon/util/thread_check.hpp"

namespace meshcall {

struct ArrivalReport {
    double rx_kbps = 0;        // TS bytes received over the window (video, sound, tables), kbit/s
    double loss_fraction = 0;  // 0..1 over the window: lost / (received + lost)
    // Overuse if the detector said so at any frame of the window (a short one between two
    // reports is not lost); else what it says at the end of the window; normal if no video frame
    // ended in the window.
    DelaySignal delay = DelaySignal::normal;
    double delay_trend_ms = 0;  // the trendline's modified trend (GCC), for status/debugging
    uint32_t window_ms = 0;
};

class ArrivalMonitor {
  public:
    // A timestamp jump larger than this (either way) is a sender restart.
    static constexpr int64_t kRestartJump90k = 5 * 90'000;

    // One datagram's TS packets (already opened if sealed: plain 188-byte TS packets; a trailing
    // partial packet is ignored) that arrived at `arrival_us` (monotonic µs). `seq`: the
    // datagram's number when the wire has one (a sealed datagram's counter, +1 per datagram from
    // this sender to us, maybe reordered, duplicates already refused); nullopt on the plain wire:
    // then loss is judged from the continuity counters.
    void on_datagram(std::span<const uint8_t> ts, int64_t arrival_us, std::optional<uint64_t> seq);
    // Every ~250 ms: the figures since the last call (the window), and starts a new window. The
    // first window starts at the first datagram.
    ArrivalReport take(int64_t now_us);

    // For status and tests.
    uint64_t restarts() const { return restarts_; }  // sender restarts seen (timestamp jumps)
    uint64_t duplicates() const { return duplicates_; }  // copies the network made (plain wire)
    uint64_t frames() const { return frames_; }      // video frames given to the detector
    const DelayTrend& trend() const { return trend_; }

  private:
    struct MediaPid {
        uint16_t pid = 0;
        bool video = false;
        // The PID's last 64 packets (hashes of their 188 bytes, 0: none): a packet whose
        // bytes are among them is a copy the network made (within ~0.2 s of video at
        // 500 kbit/s, 2.5 s of sound).
        std::array<uint64_t, 64> recent{};
        std::size_t recent_next = 0;
    };
    static uint64_t packet_hash(std::span<const uint8_t, 188> p);
    void on_packet(std::span<const uint8_t, 188> packet, int64_t arrival_us, bool count_loss);
    // A video PES starts with this 33-bit timestamp.
    void on_frame_start(int64_t stamp_90k, int64_t arrival_us);
    MediaPid* media_pid(uint16_t pid);
    void end_frame();

    ThreadCheck thread_;
    bool bound_ = false;

    // The window.
    bool window_started_ = false;
    int64_t window_start_us_ = 0;
    uint64_t window_bytes_ = 0;
    bool window_overuse_ = false;
    uint64_t window_frames_ = 0;

    SequenceLoss sequence_loss_;
    ContinuityLoss continuity_loss_;
    std::vector<MediaPid> media_pids_;

    // The frame being received, and the sender's clock unwrapped.
    bool in_frame_ = false;
    int64_t frame_send_us_ = 0, frame_arrival_us_ = 0;
    bool have_stamp_ = false;
    int64_t last_stamp_90k_ = 0;  // as on the wire (33 bits)
    int64_t send_clock_90k_ = 0;  // the same, unwrapped (from 0 at the first frame)
    DelayTrend trend_;
    uint64_t restarts_ = 0, frames_ = 0, duplicates_ = 0;
};

}  // namespace meshcall
