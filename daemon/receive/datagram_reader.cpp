// DatagramReader: a peer's queued datagrams as the byte stream its demuxer reads.
#include "daemon/receive/datagram_reader.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "daemon/util/log.hpp"

extern "C" {
#include <libavutil/error.h>
}

namespace meshcall {

DatagramReader::DatagramReader(const std::string& peer, PeerDatagramQueue& queue,
                               const std::atomic<bool>& stop, PeerMediaStats& stats, Clock clock,
                               IdleHook idle)
    : peer_(peer),
      queue_(queue),
      stop_(stop),
      stats_(stats),
      clock_(clock),
      idle_(std::move(idle)) {}

void DatagramReader::begin() {
    thread_.bind();
    reset_seen_ = false;
    pending_.clear();
    pending_pos_ = 0;
}

bool DatagramReader::drop_stale(const PeerDatagram& d) {
    const int64_t now = clock_();
    const StaleBacklog::Verdict v = backlog_.judge(d.arrival_us, now);
    if (v == StaleBacklog::Verdict::keep) return false;
    stats_.stale_drops.fetch_add(1, std::memory_order_relaxed);
    if (v == StaleBacklog::Verdict::drop_new_episode) {
        stats_.stale_episodes.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn(
            "{}: receiving fell behind: a datagram waited {} ms; dropping what waited over {} ms "
            "(the picture comes back at the sender's next refresh)",
            peer_, (now - d.arrival_us) / 1000, StaleBacklog::kBoundUs / 1000);
    }
    return true;
}

bool DatagramReader::refill() {
    while (pending_pos_ >= pending_.size()) {
        if (stop_ || reset_seen_) return false;
        const auto wait = idle_ ? std::chrono::ceil<std::chrono::milliseconds>(idle_())
                                : std::chrono::milliseconds(200);
        PeerDatagram d;
        const auto r = queue_.pop(
            d, std::clamp(wait, std::chrono::milliseconds(1), std::chrono::milliseconds(200)));
        if (r == PeerDatagramQueue::Pop::closed) return false;
        if (r == PeerDatagramQueue::Pop::timeout) continue;
        if (d.reset) {
            reset_seen_ = true;
            return false;
        }
        if (drop_stale(d)) continue;
        pending_ = std::move(d.bytes);
        pending_pos_ = 0;
    }
    return true;
}

int DatagramReader::read(uint8_t* buf, int size) {
    MESHCALL_ASSERT_THREAD(thread_);
    if (!refill()) return AVERROR_EOF;
    const std::size_t n = std::min(static_cast<std::size_t>(size), pending_.size() - pending_pos_);
    std::memcpy(buf, pending_.data() + pending_pos_, n);
    pending_pos_ += n;
    return static_cast<int>(n);
}

}  // namespace meshcall
