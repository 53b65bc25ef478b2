// SendQueueGate: a time budget for the send socket's queue.
#include "daemon/send/send_queue_gate.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include <spdlog/fmt/fmt.h>

namespace meshcall {

namespace {
// A drain rate is measured over stretches of at least this long with the queue non-empty.
constexpr int64_t kWindowUs = 200'000;
}  // namespace

SendQueueGate::QueuedBytes SendQueueGate::socket_queue(int fd) {
    return [fd] {
        int queued = 0;
        return ioctl(fd, SIOCOUTQ, &queued) == 0 ? queued : 0;
    };
}

SendQueueGate::SendQueueGate(Settings settings, QueuedBytes queued, Clock clock, Log log)
    : settings_(settings),
      queued_(std::move(queued)),
      clock_(std::move(clock)),
      log_(std::move(log)) {}

int64_t SendQueueGate::sample(int64_t now, int& q) {
    q = queued_();
    if (q <= 0) {
        // Empty: whatever limited the drain may be gone; measure afresh next time. Within an
        // episode the link is the same one: the rate measured stays (the queue of a capped
        // link empties now and then, and the nominal rate would let it overshoot).
        window_open_ = false;
        if (!saturated_.load(std::memory_order_relaxed)) {
            drain_rate_ = 0;
            drain_kbps_.store(0, std::memory_order_relaxed);
        }
        queue_ms_.store(0, std::memory_order_relaxed);
        return 0;
    }
    if (!window_open_) {
        window_open_ = true;
        window_t0_ = now;
        window_q0_ = q;
        window_enqueued0_ = enqueued_;
    } else if (now - window_t0_ >= kWindowUs) {
        const double in = double(enqueued_ - window_enqueued0_);
        const double drained = in - double(q - window_q0_);
        if (drained > 0) {
            const double rate = drained * 1e6 / double(now - window_t0_);
            drain_rate_ = drain_rate_ > 0 ? 0.5 * drain_rate_ + 0.5 * rate : rate;
        }
        window_t0_ = now;
        window_q0_ = q;
        window_enqueued0_ = enqueued_;
    }
    // Truesize to payload: as measured on what was sent, else a full datagram's ratio.
    const double ratio = payload_enqueued_ > 100'000
                             ? double(payload_) / double(payload_enqueued_)
                             : 1316.0 / 2304.0;
    if (payload_enqueued_ > 10'000'000) {  // a recent ratio: halve the history now and then
        payload_ /= 2;
        payload_enqueued_ /= 2;
    }
    drain_kbps_.store(drain_rate_ * 8 / 1000 * ratio, std::memory_order_relaxed);
    const double rate = drain_rate_ > 0 ? drain_rate_ : settings_.nominal_bytes_per_s;
    const auto delay = static_cast<int64_t>(double(q) * 1e6 / std::max(rate, 1.0));
    queue_ms_.store(delay / 1000, std::memory_order_relaxed);
    if (saturated_.load(std::memory_order_relaxed))
        episode_peak_us_ = std::max(episode_peak_us_, delay);
    return delay;
}

bool SendQueueGate::admit_frame() {
    const int64_t now = clock_();
    int q = 0;
    const int64_t delay = sample(now, q);
    poll();
    // The frame's own bytes count too (a typical frame's, from those sent): the queue should
    // hold no more than the budget once it is in, so its sound stays clear of the hard limit.
    const double rate = drain_rate_ > 0 ? drain_rate_ : settings_.nominal_bytes_per_s;
    const auto with_frame = delay + static_cast<int64_t>(frame_bytes_ * 1e6 / std::max(rate, 1.0));
    if (delay == 0 || with_frame <= settings_.budget_us) {
        frame_open_ = true;
        frame_enqueued0_ = enqueued_;
        return true;
    }
    frames_dropped_.fetch_add(1, std::memory_order_relaxed);
    note_drop(now, with_frame, false);
    return false;
}

void SendQueueGate::end_frame() {
    if (!frame_open_) return;
    frame_open_ = false;
    // What the frame put in the queue (nothing while the link keeps up: then it is not needed).
    const auto bytes = double(enqueued_ - frame_enqueued0_);
    // Quick to rise, slow to fall: frames vary (intra refresh, motion after skipped frames),
    // and a frame bigger than expected pushes the sound after it towards the hard limit.
    if (bytes > 0) frame_bytes_ = bytes > frame_bytes_ ? bytes : 0.9 * frame_bytes_ + 0.1 * bytes;
}

bool SendQueueGate::admit_datagram(bool presence) {
    const int64_t now = clock_();
    int q = 0;
    const int64_t delay = sample(now, q);
    // A frame once admitted goes whole: cutting pieces out of it would cost more than its
    // bytes (a broken picture until the next refresh).
    if (presence || frame_open_ || delay <= settings_.hard_limit_us) {
        before_ = q;
        return true;
    }
    datagrams_dropped_.fetch_add(1, std::memory_order_relaxed);
    note_drop(now, delay, true);
    return false;
}

void SendQueueGate::sent(uint64_t payload_bytes) {
    const int after = queued_();
    if (after > before_) {
        enqueued_ += static_cast<uint64_t>(after - before_);
        if (payload_bytes > 0) {
            payload_ += payload_bytes;
            payload_enqueued_ += static_cast<uint64_t>(after - before_);
        }
    }
}

void SendQueueGate::refused(uint64_t n) {
    if (n == 0) return;
    datagrams_dropped_.fetch_add(n, std::memory_order_relaxed);
    const int64_t now = clock_();
    note_drop(now, queue_ms_.load(std::memory_order_relaxed) * 1000, true);
    episode_datagrams_ += n - 1;  // note_drop counted one
    episode_refused_ = true;      // video datagrams among them, maybe
}

void SendQueueGate::note_drop(int64_t now, int64_t delay_us, bool datagram) {
    last_drop_us_ = now;
    if (!saturated_.load(std::memory_order_relaxed)) {
        saturated_.store(true, std::memory_order_relaxed);
        episodes_.fetch_add(1, std::memory_order_relaxed);
        episode_start_us_ = now;
        episode_frames_ = episode_datagrams_ = 0;
        episode_refused_ = false;
        episode_peak_us_ = queue_ms_.load(std::memory_order_relaxed) * 1000;
        log_(fmt::format(
            "upload saturated: dropping media (the send queue would hold {} ms of upload, over "
            "the {} ms budget); the upload is slower than the call's rate. Said again when it "
            "ends",
            delay_us / 1000, settings_.budget_us / 1000));
    }
    if (datagram)
        ++episode_datagrams_;
    else
        ++episode_frames_;
}

void SendQueueGate::poll() {
    if (!saturated_.load(std::memory_order_relaxed)) return;
    const int64_t now = clock_();
    if (now - last_drop_us_ < settings_.episode_end_us) return;
    saturated_.store(false, std::memory_order_relaxed);
    if (episode_refused_) refresh_ = true;  // a picture may have lost pieces
    log_(fmt::format(
        "upload no longer saturated after {:.1f} s: {} video frames and {} datagrams dropped "
        "(the send queue held up to {} ms)",
        double(last_drop_us_ - episode_start_us_) / 1e6, episode_frames_, episode_datagrams_,
        episode_peak_us_ / 1000));
}

bool SendQueueGate::take_refresh() {
    return std::exchange(refresh_, false);
}

}  // namespace meshcall
