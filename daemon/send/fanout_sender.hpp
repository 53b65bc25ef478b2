// FanoutSender: sends each datagram to every other peer from one buffer with one sendmmsg,
// through a SendQueueGate (the socket's queue kept short in time), and accounts send errors
// per peer. Send thread only (it uses the UDP socket's fd directly; no uv_* calls), except
// where a member says "any thread".
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/address.hpp"
#include "daemon/send/sealer.hpp"
#include "daemon/send/send_queue_gate.hpp"

namespace meshcall {

struct SendCounters {
    std::atomic<uint64_t> datagrams{0};  // datagrams handed to the kernel, all peers counted
    std::atomic<uint64_t> bytes{0};  // payload bytes handed to the kernel (sealed, in an encrypted
                                     // room), counted once per datagram
    std::atomic<uint64_t> errors{0};  // per-peer sends refused (EPERM, ENOBUFS, unreachable...)
};

struct FanoutPeer {
    std::string name;
    Address address;       // where this sender's datagrams go (Room::destination); not known():
                           // nowhere yet (a participant behind a NAT, its host left out)
    bool receives = true;  // false: a stock sender, which is sent nothing
    bool participant = true;  // false: a stock guest
};

class FanoutSender {
  public:
    // `gate` is the queue's budget (see SendQueueGate); the gate reads `fd`'s queue. `sealer`
    // (its slots = `peers`) encrypts in an encrypted room; without one, datagrams go as they are.
    FanoutSender(int fd, std::vector<FanoutPeer> peers, SendQueueGate::Settings gate,
                 std::unique_ptr<Sealer> sealer = nullptr);
    // For tests: the gate's queue reading injected.
    FanoutSender(int fd, std::vector<FanoutPeer> peers, SendQueueGate::Settings gate,
                 SendQueueGate::QueuedBytes queued, std::unique_ptr<Sealer> sealer = nullptr);

    // Sends `datagram` to every peer. A peer that refuses (EPERM, ENOBUFS, ...) is skipped,
    // counted and logged (once when it starts, once a minute while it lasts, once when it
    // ends); the others still get it. Never blocks. A media datagram is dropped when the
    // socket's queue is over the gate's hard limit, or when the socket buffer is full; a
    // `presence` datagram never by the gate. A backed-off peer gets only presence datagrams
    // (two a second). A peer that receives nothing (a stock sender) is skipped.
    // A `presence` datagram also goes to each peer's probe addresses (set_route). A
    // `members_only` datagram skips the plain slots (stock guests; everyone in a "none" room).
    // A `layer` >= 0: only the peers sent that video layer now (set_layer) get it. A
    // `participants_only` datagram skips the stock guests (in any room).
    void send(std::span<const uint8_t> datagram, bool presence = false, bool members_only = false,
              int layer = -1, bool participants_only = false);

    // Send thread: the video layer `peer` is sent from now on (-1: none yet).
    void set_layer(std::size_t peer, int layer) {
        if (peer < layers_.size()) layers_[peer].store(layer, std::memory_order_relaxed);
    }
    // Any thread.
    int layer(std::size_t peer) const {
        return peer < layers_.size() ? layers_[peer].load(std::memory_order_relaxed) : -1;
    }
    std::size_t size() const { return peers_.size(); }
    const FanoutPeer& peer(std::size_t i) const { return peers_[i]; }

    // Any thread (the loop): where `peer` is sent to from now on (an endpoint learned from its
    // authenticated datagrams), and where it is probed with presence until one of those arrives
    // (endpoints other members report). Taken by the send thread on its next send.
    void set_route(std::size_t peer, const Address& endpoint, std::vector<Address> probes);

    // Any thread: a peer silent for a while, or whose address answers "unreachable", is backed
    // off (RFC 8083's media timeout, in spirit: no spraying a dead address at full rate);
    // heard again, or reachable again, it gets everything.
    void set_backed_off(std::size_t peer, bool backed_off);
    bool backed_off(std::size_t peer) const {
        return backed_off_[peer].load(std::memory_order_relaxed);
    }

    SendQueueGate& gate() { return gate_; }
    // Any thread.
    const SendQueueGate& gate() const { return gate_; }
    const SendCounters& counters() const { return counters_; }
    uint64_t peer_errors(std::size_t peer) const {
        return peer_errors_[peer].load(std::memory_order_relaxed);
    }

  private:
    // Send thread: per-peer error episodes and their log lines.
    struct ErrorEpisode {
        bool failing = false;
        int last_errno = 0;
        int64_t start_us = 0, last_error_us = 0, last_report_us = 0;
        uint64_t count = 0, reported = 0;
    };
    void on_peer_error(std::size_t peer, int err, int64_t now);
    void on_peer_sent(std::size_t peer, int64_t now);
    void take_routes();  // send thread: what set_route() changed
    void send_probes();

    struct Route {
        Address endpoint;
        std::vector<Address> probes;
    };

    int fd_;
    std::vector<FanoutPeer> peers_;
    std::vector<mmsghdr> messages_;         // one per peer, prepared once
    std::vector<iovec> iovs_;               // one per peer: what it is sent this time
    std::vector<mmsghdr> batch_;            // the ones sent this time
    std::vector<std::size_t> batch_peers_;  // which peer each of batch_ goes to
    std::vector<bool> batch_failed_;
    std::unique_ptr<std::atomic<bool>[]> backed_off_;
    std::vector<std::atomic<int>> layers_;  // written by the send thread, read by any
    std::vector<bool> sealing_;             // the peers this datagram is sealed for
    std::unique_ptr<std::atomic<uint64_t>[]> peer_errors_;
    std::vector<ErrorEpisode> episodes_;
    std::unique_ptr<Sealer> sealer_;
    std::vector<std::vector<Address>> probes_;  // send thread's copy
    std::mutex routes_mutex_;
    std::vector<std::optional<Route>> routes_;  // set_route's, not yet taken (routes_mutex_)
    std::atomic<bool> routes_changed_{false};
    SendCounters counters_;
    SendQueueGate gate_;
};

}  // namespace meshcall
