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
    : fd_(fd),
      peers_(std::move(peers)),
      messages_(peers_.size()),
      backed_off_(std::make_unique<std::atomic<bool>[]>(peers_.size())),
      last_presence_us_(peers_.size(), 0) {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        std::memset(&messages_[i], 0, sizeof messages_[i]);
        messages_[i].msg_hdr.msg_name = &peers_[i].storage;
        messages_[i].msg_hdr.msg_namelen = peers_[i].length;
        messages_[i].msg_hdr.msg_iov = &iov_;
        messages_[i].msg_hdr.msg_iovlen = 1;
    }
}

void FanoutSender::set_backed_off(std::size_t peer, bool backed_off) {
    if (peer < peers_.size()) backed_off_[peer].store(backed_off, std::memory_order_relaxed);
}

void FanoutSender::send(std::span<const uint8_t> datagram, bool presence) {
    if (messages_.empty()) return;
    iov_.iov_base = const_cast<uint8_t*>(datagram.data());
    iov_.iov_len = datagram.size();
    batch_.clear();
    const int64_t now = av_gettime_relative();
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (backed_off_[i].load(std::memory_order_relaxed)) {
            if (!presence || now - last_presence_us_[i] < 1'000'000) continue;
            last_presence_us_[i] = now;
        }
        batch_.push_back(messages_[i]);
    }
    std::size_t next = 0;
    int last_errno = 0;
    while (next < batch_.size()) {
        int n = sendmmsg(fd_, batch_.data() + next, static_cast<unsigned>(batch_.size() - next),
                         MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            // batch_[next] was refused; skip that peer, keep going with the rest.
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
