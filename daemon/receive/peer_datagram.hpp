// PeerDatagram and PeerDatagramQueue: one peer's datagrams on their way from the event loop
// (producer: PeerLink) to that peer's receiver thread (consumer: DatagramReader).
#pragma once

#include <cstdint>
#include <vector>

#include "daemon/util/bounded_queue.hpp"

namespace meshcall {

struct PeerDatagram {
    static constexpr int64_t kNoArrival = -1;  // not stamped (the fuzzer): never judged stale

    bool reset = false;  // the sender restarted: start a new demuxer
    std::vector<uint8_t> bytes;
    // When the event loop received it, on the monotonic clock (av_gettime_relative), in µs.
    int64_t arrival_us = kNoArrival;
};

// Bounded in count here (drop-oldest), and in time by the reader (StaleBacklog).
using PeerDatagramQueue = BoundedQueue<PeerDatagram>;

}  // namespace meshcall
