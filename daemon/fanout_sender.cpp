// FanoutSender: one datagram, N-1 destinations, one sendmmsg.
#include "daemon/fanout_sender.hpp"

#include <cerrno>
#include <cstring>

#include "daemon/log.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

FanoutSender::FanoutSender(int fd, std::vector<Address> peers)
    : fd_(fd), peers_(std::move(peers)), messages_(peers_.size()) {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        std::memset(&messages_[i], 0, sizeof messages_[i]);
        messages_[i].msg_hdr.msg_name = &peers_[i].storage;
        messages_[i].msg_hdr.msg_namelen = peers_[i].length;
        messages_[i].msg_hdr.msg_iov = &iov_;
        messages_[i].msg_hdr.msg_iovlen = 1;
    }
}

void FanoutSender::send(std::span<const uint8_t> datagram) {
    if (messages_.empty()) return;
    iov_.iov_base = const_cast<uint8_t*>(datagram.data());
    iov_.iov_len = datagram.size();
    std::size_t next = 0;
    int last_errno = 0;
    while (next < messages_.size()) {
        int n = sendmmsg(fd_, messages_.data() + next, static_cast<unsigned>(messages_.size() - next),
                         MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            // messages_[next] was refused; skip that peer, keep going with the rest.
            last_errno = errno;
            counters_.errors.fetch_add(1, std::memory_order_relaxed);
            ++next;
            continue;
        }
        counters_.datagrams.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        next += static_cast<std::size_t>(n);
    }
    counters_.bytes.fetch_add(datagram.size(), std::memory_order_relaxed);
    if (last_errno != 0) {
        // Rate-limited: one line per 5 s at most, with the count since the last line.
        const int64_t now = av_gettime_relative();
        if (now - last_log_us_ > 5'000'000) {
            const uint64_t errors = counters_.errors.load(std::memory_order_relaxed);
            spdlog::warn("sending failed {} time(s) in the last seconds (last: {})",
                         errors - last_logged_errors_, std::strerror(last_errno));
            last_logged_errors_ = errors;
            last_log_us_ = now;
        }
    }
}

}  // namespace meshcall
