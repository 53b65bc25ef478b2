// DatagramReader: the byte source under a peer's TS demuxer (its AVIO read callback). It takes
// that peer's datagrams from the queue, ends the stream at a reset marker (the sender
// restarted), at stop or when the queue closes, and drops the backlog that waited longer than
// StaleBacklog::kBoundUs (counted in PeerMediaStats, logged once per episode). One thread: that
// peer's receiver (inside av_read_frame); `stop` may be set from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/receive/peer_datagram.hpp"
#include "daemon/receive/peer_media_stats.hpp"
#include "daemon/receive/stale_backlog.hpp"
#include "daemon/util/thread_check.hpp"

namespace meshcall {

class DatagramReader {
  public:
    using Clock = int64_t (*)();  // monotonic µs, the clock PeerLink stamps arrivals with
    // Called before each wait for a datagram; returns how long that wait may last at most
    // (sound held behind a gap, or due and not come, is looked at again within a few ms).
    using IdleHook = std::function<std::chrono::microseconds()>;

    DatagramReader(const std::string& peer, PeerDatagramQueue& queue, const std::atomic<bool>& stop,
                   PeerMediaStats& stats, Clock clock, IdleHook idle);

    // A new demuxer starts on the calling thread: nothing pending, no reset marker seen.
    void begin();
    // Copies up to `size` bytes of the stream into `buf`. Returns the count, or AVERROR_EOF at
    // a reset marker, at stop, or once the queue is closed.
    int read(uint8_t* buf, int size);
    // The last stream ended at a reset marker (the sender restarted).
    bool reset_seen() const { return reset_seen_; }

  private:
    // Takes the next datagram's bytes into pending_; false when the stream ends here.
    bool refill();
    // Whether a datagram popped from the queue is dropped as stale (counted, and logged when
    // an episode starts).
    bool drop_stale(const PeerDatagram& d);

    const std::string& peer_;
    PeerDatagramQueue& queue_;
    const std::atomic<bool>& stop_;
    PeerMediaStats& stats_;
    Clock clock_;
    IdleHook idle_;
    StaleBacklog backlog_;
    ThreadCheck thread_;  // the thread of the current demuxer
    bool reset_seen_ = false;
    std::vector<uint8_t> pending_;  // datagram bytes not yet handed to AVIO
    std::size_t pending_pos_ = 0;
};

}  // namespace meshcall
