// SendQueueGate: keeps what waits in the send socket short in time, not just in bytes, so an
// upload capped below the send rate costs frames, not seconds of delay.
//
// The socket's queue (SIOCOUTQ: bytes the kernel still holds for it, in the qdisc and the
// driver, counted as skb truesize) is read before and after each send. Its drain rate is
// measured while it stays non-empty (what went in minus what is still there, per second), so
// the queue converts to a delay whatever the cap is; with no measurement yet (the queue just
// started to fill) the room's nominal upload stands in. When the queue plus a typical frame
// would hold more than the budget, the next video frame is not encoded (a skipped frame leaves
// the decoders' references intact: no corruption, no refresh needed); over three times the
// budget, other media datagrams (sound, tables) are dropped too. The datagrams of an admitted
// frame, and presence and leave datagrams, always pass. If the socket buffer fills all the same
// (EAGAIN), an IDR is asked for once the episode ends.
//
// An episode of drops is logged once when it begins and once when it ends (no drop for 2 s),
// with its length and what was dropped.
//
// Threads: the send thread calls everything except the counters' getters, which any thread may
// call (atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace meshcall {

class SendQueueGate {
  public:
    using QueuedBytes = std::function<int()>;  // what the socket holds now (bytes of truesize)
    using Clock = std::function<int64_t()>;    // monotonic microseconds
    using Log = std::function<void(const std::string&)>;

    struct Settings {
        int64_t budget_us = 250'000;         // above this, video frames are skipped
        int64_t hard_limit_us = 750'000;     // above this, other media datagrams drop too
        int64_t episode_end_us = 2'000'000;  // no drop for this long ends an episode
        // Until a drain rate is measured: the room's upload, in bytes of truesize a second.
        double nominal_bytes_per_s = 1e6;
    };

    // The nominal rate for a room upload of `upload_kbps` (all peers): a 1316-byte datagram
    // costs ~2304 bytes of truesize, a 188-byte audio one ~832 (measured, Linux 6.x); x2 errs
    // on the side of a longer estimated delay.
    static double nominal_rate(int upload_kbps) { return upload_kbps * 1000.0 / 8 * 2; }
    // Reads SIOCOUTQ of `fd` (0 if that fails).
    static QueuedBytes socket_queue(int fd);

    SendQueueGate(Settings settings, QueuedBytes queued, Clock clock, Log log);

    // Before encoding a video frame: false when it should be skipped. When true, the frame's
    // datagrams all pass, up to end_frame().
    bool admit_frame();
    void end_frame();
    // Before sending a datagram: false when it should be dropped (media over the hard limit).
    bool admit_datagram(bool presence);
    // After the send that admit_datagram allowed.
    // `payload_bytes`: the UDP payload handed over (every copy; 0: not told), for drain_kbps.
    void sent(uint64_t payload_bytes = 0);
    // `n` media datagrams the kernel refused for want of buffer space (EAGAIN).
    void refused(uint64_t n);
    // The send thread, at least every 100 ms or so: ends an episode that has gone quiet.
    void poll();
    // True once after an episode in which the kernel refused datagrams (pieces of pictures
    // among them, maybe) ended: the next frame should be an IDR.
    bool take_refresh();

    // Any thread.
    bool saturated() const { return saturated_.load(std::memory_order_relaxed); }
    uint64_t frames_dropped() const { return frames_dropped_.load(std::memory_order_relaxed); }
    uint64_t datagrams_dropped() const {
        return datagrams_dropped_.load(std::memory_order_relaxed);
    }
    uint64_t episodes() const { return episodes_.load(std::memory_order_relaxed); }
    // The queue's delay at the last reading, in milliseconds.
    int64_t queue_ms() const { return queue_ms_.load(std::memory_order_relaxed); }
    // What the upload drains while the queue stays non-empty, in kbit/s of UDP payload (the
    // truesize the queue counts, times the payload-to-truesize ratio of what was sent: ~0.57
    // for full datagrams, far less for small sound ones); 0 when not measured (the queue
    // empties: the upload takes what we send).
    double drain_kbps() const { return drain_kbps_.load(std::memory_order_relaxed); }

  private:
    // Reads the queue (into `q`), updates the drain estimate; returns the queue's delay in µs.
    int64_t sample(int64_t now, int& q);
    // `delay_us`: what the queue would hold (for the first line of an episode).
    void note_drop(int64_t now, int64_t delay_us, bool datagram);

    Settings settings_;
    QueuedBytes queued_;
    Clock clock_;
    Log log_;

    // Drain-rate estimate (send thread).
    double drain_rate_ = 0;     // bytes a second; 0: not measured since the queue last emptied
    uint64_t enqueued_ = 0;     // bytes that went in, summed over sends
    uint64_t payload_ = 0, payload_enqueued_ = 0;  // payload told, and the truesize it took
    bool window_open_ = false;  // the queue has stayed non-empty since window_t0_
    int64_t window_t0_ = 0;
    int window_q0_ = 0;
    uint64_t window_enqueued0_ = 0;
    int before_ = 0;           // the reading before the current send
    bool frame_open_ = false;  // between admit_frame() (true) and end_frame()
    uint64_t frame_enqueued0_ = 0;
    double frame_bytes_ = 0;  // what a video frame puts in the queue (rises fast, falls slowly)

    // The episode (send thread).
    int64_t episode_start_us_ = 0, last_drop_us_ = 0;
    uint64_t episode_frames_ = 0, episode_datagrams_ = 0;
    int64_t episode_peak_us_ = 0;
    bool episode_refused_ = false;  // the kernel refused datagrams (EAGAIN) in this episode
    bool refresh_ = false;

    std::atomic<bool> saturated_{false};
    std::atomic<uint64_t> frames_dropped_{0}, datagrams_dropped_{0}, episodes_{0};
    std::atomic<int64_t> queue_ms_{0};
    std::atomic<double> drain_kbps_{0};
};

}  // namespace meshcall
