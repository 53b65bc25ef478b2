// FanoutSender: one datagram, N-1 destinations, one sendmmsg.
#include "daemon/send/fanout_sender.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/util/log.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

namespace {
// A peer's send errors: said again this often while they last; over once none for this long.
constexpr int64_t kErrorReportUs = 60'000'000;
constexpr int64_t kErrorEndUs = 5'000'000;

std::string describe(int err) {
    std::string s = std::strerror(err);
    if (err == EPERM || err == EACCES) s += " (a firewall rule on this machine drops it?)";
    if (err == ENOBUFS) s += " (the network interface's queue is full)";
    return s;
}
}  // namespace

FanoutSender::FanoutSender(int fd, std::vector<FanoutPeer> peers, SendQueueGate::Settings gate,
                           std::unique_ptr<Sealer> sealer)
    : FanoutSender(fd, std::move(peers), gate, SendQueueGate::socket_queue(fd), std::move(sealer)) {
}

FanoutSender::FanoutSender(int fd, std::vector<FanoutPeer> peers, SendQueueGate::Settings gate,
                           SendQueueGate::QueuedBytes queued, std::unique_ptr<Sealer> sealer)
    : fd_(fd),
      peers_(std::move(peers)),
      messages_(peers_.size()),
      iovs_(peers_.size()),
      backed_off_(std::make_unique<std::atomic<bool>[]>(peers_.size())),
      layers_(peers_.size()),
      peer_errors_(std::make_unique<std::atomic<uint64_t>[]>(peers_.size())),
      episodes_(peers_.size()),
      sealer_(std::move(sealer)),
      probes_(peers_.size()),
      routes_(peers_.size()),
      gate_(gate, std::move(queued), av_gettime_relative,
            [](const std::string& line) { spdlog::warn("{}", line); }) {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        layers_[i].store(-1, std::memory_order_relaxed);
        std::memset(&messages_[i], 0, sizeof messages_[i]);
        messages_[i].msg_hdr.msg_name = &peers_[i].address.storage;
        messages_[i].msg_hdr.msg_namelen = peers_[i].address.length;
        messages_[i].msg_hdr.msg_iov = &iovs_[i];
        messages_[i].msg_hdr.msg_iovlen = 1;
    }
}

void FanoutSender::set_backed_off(std::size_t peer, bool backed_off) {
    if (peer < peers_.size()) backed_off_[peer].store(backed_off, std::memory_order_relaxed);
}

void FanoutSender::set_route(std::size_t peer, const Address& endpoint,
                             std::vector<Address> probes) {
    if (peer >= peers_.size()) return;
    std::lock_guard lock(routes_mutex_);
    routes_[peer] = Route{endpoint, std::move(probes)};
    routes_changed_.store(true, std::memory_order_release);
}

void FanoutSender::take_routes() {
    if (!routes_changed_.exchange(false, std::memory_order_acquire)) return;
    std::lock_guard lock(routes_mutex_);
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        if (!routes_[i]) continue;
        peers_[i].address = routes_[i]->endpoint;
        messages_[i].msg_hdr.msg_namelen = peers_[i].address.length;
        probes_[i] = std::move(routes_[i]->probes);
        routes_[i].reset();
    }
}

void FanoutSender::send_probes() {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        if (probes_[i].empty() || (sealer_ && sealer_->plain(i)) || !sealing_[i]) continue;
        const auto bytes = iovs_[i];
        for (const Address& to : probes_[i]) {
            // A probe to an address that is not (yet) the peer's: failures mean little.
            if (sendto(fd_, bytes.iov_base, bytes.iov_len, MSG_DONTWAIT, to.sa(), to.length) >= 0)
                counters_.datagrams.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void FanoutSender::send(std::span<const uint8_t> datagram, bool presence, bool members_only,
                        int layer, bool participants_only) {
    if (messages_.empty()) return;
    if (!gate_.admit_datagram(presence)) return;
    take_routes();
    const int64_t now = av_gettime_relative();
    batch_.clear();
    batch_peers_.clear();
    sealing_.assign(peers_.size(), false);
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (!peers_[i].receives || !peers_[i].address.known()) continue;
        if (members_only && (!sealer_ || sealer_->plain(i))) continue;
        if (!presence && backed_off_[i].load(std::memory_order_relaxed)) continue;
        if (participants_only && !peers_[i].participant) continue;
        if (layer >= 0 && layers_[i].load(std::memory_order_relaxed) != layer) continue;
        batch_peers_.push_back(i);
        sealing_[i] = true;
    }
    // Probes go with presence, to peers that may be in no batch.
    if (presence)
        for (std::size_t i = 0; i < peers_.size(); ++i) sealing_[i] = sealing_[i] || !probes_[i].empty();
    if (batch_peers_.empty() && !presence) return;
    // Sealed only for the peers it goes to: each peer's counter counts exactly the datagrams
    // it is sent, so a gap is a loss.
    if (sealer_) sealer_->seal(datagram, now, sealing_);
    std::size_t wire_size = datagram.size();
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (!sealing_[i]) continue;
        const auto bytes = sealer_ ? sealer_->bytes_for(i) : datagram;
        iovs_[i] = {const_cast<uint8_t*>(bytes.data()), bytes.size()};
        wire_size = std::max(wire_size, bytes.size());
    }
    for (std::size_t i : batch_peers_) batch_.push_back(messages_[i]);
    batch_failed_.assign(batch_.size(), false);
    std::size_t next = 0;
    bool retried = false;
    while (next < batch_.size()) {
        int n = sendmmsg(fd_, batch_.data() + next, static_cast<unsigned>(batch_.size() - next),
                         MSG_DONTWAIT);
        if (n < 0) {
            const int err = errno;
            if (err == EINTR) continue;
            if (!retried && err != EAGAIN && err != EWOULDBLOCK) {
                // With IP_RECVERR the socket reports an ICMP error once, on whatever call comes
                // next: maybe this send, about another peer. A real refusal repeats.
                retried = true;
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) {
                // The socket buffer is full: the upload is saturated (the gate's business,
                // not a peer's); the rest of this datagram's copies are dropped.
                gate_.refused(batch_.size() - next);
                for (std::size_t k = next; k < batch_.size(); ++k) batch_failed_[k] = true;
                break;
            }
            // batch_[next] was refused; skip that peer, keep going with the rest.
            counters_.errors.fetch_add(1, std::memory_order_relaxed);
            batch_failed_[next] = true;
            on_peer_error(batch_peers_[next], err, now);
            ++next;
            retried = false;
            continue;
        }
        retried = false;
        counters_.datagrams.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        next += static_cast<std::size_t>(n);
    }
    if (presence) send_probes();
    std::size_t copies = 0;
    for (std::size_t k = 0; k < batch_.size(); ++k) copies += !batch_failed_[k];
    gate_.sent(wire_size * copies);
    counters_.bytes.fetch_add(wire_size, std::memory_order_relaxed);
    for (std::size_t k = 0; k < batch_.size(); ++k)
        if (!batch_failed_[k]) on_peer_sent(batch_peers_[k], now);
}

void FanoutSender::on_peer_error(std::size_t peer, int err, int64_t now) {
    peer_errors_[peer].fetch_add(1, std::memory_order_relaxed);
    ErrorEpisode& e = episodes_[peer];
    ++e.count;
    e.last_error_us = now;
    const FanoutPeer& p = peers_[peer];
    if (!e.failing) {
        e = ErrorEpisode{true, err, now, now, now, 1, 1};
        spdlog::warn(
            "sending to {} ({}) fails: {}; counted in status (tx_errors), said again once a "
            "minute while it lasts",
            p.name, p.address.to_string(), describe(err));
        return;
    }
    const int64_t since = now - e.last_report_us;
    if (since >= kErrorReportUs || (err != e.last_errno && since >= kErrorEndUs)) {
        spdlog::warn("sending to {} still fails: {} datagrams refused in {:.0f} s (now: {})",
                     p.name, e.count - e.reported, double(since) / 1e6, describe(err));
        e.last_report_us = now;
        e.reported = e.count;
    }
    e.last_errno = err;
}

void FanoutSender::on_peer_sent(std::size_t peer, int64_t now) {
    ErrorEpisode& e = episodes_[peer];
    if (!e.failing || now - e.last_error_us < kErrorEndUs) return;
    e.failing = false;
    spdlog::warn("sending to {} works again after {:.1f} s ({} datagrams refused: {})",
                 peers_[peer].name, double(e.last_error_us - e.start_us) / 1e6, e.count,
                 std::strerror(e.last_errno));
}

}  // namespace meshcall
