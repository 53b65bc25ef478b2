// FanoutSender: sends each datagram to every other peer from one buffer with one sendmmsg.
// Send thread only (it uses the UDP socket's fd directly; no uv_* calls).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "config/address.hpp"

namespace meshcall {

struct SendCounters {
    std::atomic<uint64_t> datagrams{0};  // datagrams handed to the kernel, all peers counted
    std::atomic<uint64_t> bytes{
        0};  // payload bytes handed to the kernel, counted once per datagram
    std::atomic<uint64_t> errors{0};  // per-peer sends refused (unreachable, no buffer, ...)
};

class FanoutSender {
  public:
    FanoutSender(int fd, std::vector<Address> peers);

    // Sends `datagram` to every peer. A peer that refuses (ECONNREFUSED, EPERM, ...) is
    // skipped; the others still get it. Never blocks: a full socket buffer drops.
    // A backed-off peer gets only `presence` datagrams, at most one a second.
    void send(std::span<const uint8_t> datagram, bool presence = false);

    // Any thread: a peer silent for a while is backed off (RFC 8083's media timeout, in
    // spirit: no spraying a dead address at full rate); heard again, it gets everything.
    void set_backed_off(std::size_t peer, bool backed_off);
    bool backed_off(std::size_t peer) const {
        return backed_off_[peer].load(std::memory_order_relaxed);
    }

    const SendCounters& counters() const { return counters_; }

  private:
    int fd_;
    std::vector<Address> peers_;
    std::vector<mmsghdr> messages_;  // one per peer, prepared once
    std::vector<mmsghdr> batch_;     // the ones sent this time
    std::unique_ptr<std::atomic<bool>[]> backed_off_;
    std::vector<int64_t> last_presence_us_;  // per backed-off peer
    iovec iov_{};
    SendCounters counters_;
    uint64_t last_logged_errors_ = 0;
    int64_t last_log_us_ = 0;
};

}  // namespace meshcall
