// UdpSocket: libuv UDP handle with recvmmsg, bound to our room address.
#include "daemon/loop/udp_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "daemon/loop/loop_failure.hpp"
#include "daemon/util/log.hpp"

namespace meshcall {

namespace {
// libuv uses recvmmsg when the buffer holds several 64 KiB slots (up to 20 messages a call).
constexpr std::size_t kRecvSlots = 16;
constexpr std::size_t kRecvSlot = 64 * 1024;
constexpr int kRecvBuffer = 2 * 1024 * 1024;
// The last resort under a capped upload: SendQueueGate keeps what waits to about 250 ms, long
// before this fills (then EAGAIN: dropped, counted with the gate's drops). Large enough for an
// IDR sent to 14 peers at once.
constexpr int kSendBuffer = 512 * 1024;

// Asks for `bytes` of socket buffer, reads back what the kernel granted (Linux reports twice
// what it keeps for data; it caps the request at the sysctl) and warns once when it was capped,
// as FFmpeg's udp.c does: on stock Debian the caps are 208 KiB, a tenth of a second of a
// 15-person call's video.
void set_buffer(uv_handle_t* h, int (*size_fn)(uv_handle_t*, int*), int bytes, const char* which,
                const char* sysctl) {
    int asked = bytes;
    if (int rc = size_fn(h, &asked); rc != 0) {
        spdlog::warn("cannot set the UDP {} buffer to {} KiB: {}", which, bytes / 1024,
                     uv_strerror(rc));
        return;
    }
    int granted = 0;  // 0 reads the current size back
    if (size_fn(h, &granted) != 0) return;
    if (granted / 2 < bytes)
        spdlog::warn(
            "the kernel capped the UDP {} buffer at {} KiB (meshcall asks for {} KiB); bursts "
            "may be dropped. Raise the cap with: sudo sysctl -w {}={}",
            which, granted / 2 / 1024, bytes / 1024, sysctl, bytes);
    else
        spdlog::debug("UDP {} buffer: {} KiB", which, granted / 2 / 1024);
}

// Asks the kernel to queue ICMP errors about our datagrams (with the address each was sent to),
// so that a peer whose port is closed can be backed off. Without it, an unconnected UDP socket
// never hears of them.
void enable_errors(int fd, int family) {
    const int on = 1;
    const int rc = family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on)
                                      : setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
    if (rc != 0)
        spdlog::warn(
            "cannot ask for ICMP errors on the UDP socket ({}): a peer that is gone is "
            "backed off only after 10 s of silence",
            std::strerror(errno));
}

bool is_unreachable(const sock_extended_err& e) {
    const bool icmp = e.ee_origin == SO_EE_ORIGIN_ICMP || e.ee_origin == SO_EE_ORIGIN_ICMP6;
    return icmp &&
           (e.ee_errno == ECONNREFUSED || e.ee_errno == EHOSTUNREACH || e.ee_errno == ENETUNREACH);
}

Address wildcard_like(const Address& a) {
    Address w = a;
    if (a.family() == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&w.storage)->sin_addr.s_addr = htonl(INADDR_ANY);
    } else {
        reinterpret_cast<sockaddr_in6*>(&w.storage)->sin6_addr = in6addr_any;
    }
    return w;
}
}  // namespace

UdpSocket::UdpSocket(OnDatagram on_datagram, OnUnreachable on_unreachable)
    : on_datagram_(std::move(on_datagram)),
      on_unreachable_(std::move(on_unreachable)),
      buffer_(kRecvSlots * kRecvSlot) {
    handle_.data = this;
}

UdpSocket* UdpSocket::open(uv_loop_t* loop, const Address& address, OnDatagram on_datagram,
                           OnUnreachable on_unreachable) {
    auto* s = new UdpSocket(std::move(on_datagram), std::move(on_unreachable));
    int rc = uv_udp_init_ex(loop, &s->handle_,
                            static_cast<unsigned>(address.family()) | UV_UDP_RECVMMSG);
    if (rc != 0) {
        delete s;
        throw std::runtime_error(std::string("cannot create the UDP socket: ") + uv_strerror(rc));
    }
    Address where = address;
    rc = uv_udp_bind(&s->handle_, where.sa(), 0);
    if (rc == UV_EADDRNOTAVAIL) {
        where = wildcard_like(address);
        rc = uv_udp_bind(&s->handle_, where.sa(), 0);
    }
    if (rc != 0) {
        std::string msg = "cannot listen on UDP " + address.to_string() + ": " + uv_strerror(rc);
        if (rc == UV_EADDRINUSE)
            msg += " (another program, or another meshcalld of this room, already uses this port)";
        s->close();
        throw std::runtime_error(msg);
    }
    s->bound_ = where;
    auto* h = reinterpret_cast<uv_handle_t*>(&s->handle_);
    set_buffer(h, uv_recv_buffer_size, kRecvBuffer, "receive", "net.core.rmem_max");
    set_buffer(h, uv_send_buffer_size, kSendBuffer, "send", "net.core.wmem_max");
    enable_errors(s->fd(), address.family());
    return s;
}

void UdpSocket::start() {
    if (int rc = uv_udp_recv_start(&handle_, on_alloc, on_recv); rc != 0)
        throw std::runtime_error(std::string("cannot receive on the UDP socket: ") +
                                 uv_strerror(rc));
}

void UdpSocket::close() {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle_))) return;
    uv_udp_recv_stop(&handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), on_closed);
}

int UdpSocket::fd() const {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
    return fd;
}

void UdpSocket::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<UdpSocket*>(h->data);
    *buf = uv_buf_init(self->buffer_.data(), static_cast<unsigned>(self->buffer_.size()));
}

void UdpSocket::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                        unsigned flags) {
    if (flags & UV_UDP_MMSG_FREE) return;  // the end of a recvmmsg batch; our buffer is reused
    auto* self = static_cast<UdpSocket*>(h->data);
    if (nread < 0 || addr == nullptr) {
        // Nothing more to read now, or a socket error (an ICMP error reported once through the
        // socket: its details wait in the error queue). libuv's epoll wakes us for the error
        // queue too and calls this with nothing read: empty it, or the loop would spin.
        guarded(h->loop, "UDP error queue", [&] { self->drain_errors(); });
        return;
    }
    guarded(h->loop, "UDP receive", [&] {
        self->on_datagram_(
            {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)}, addr);
    });
}

void UdpSocket::drain_errors() {
    const int fd = this->fd();
    for (int i = 0; i < 64; ++i) {  // bounded: the next wake-up reads the rest
        sockaddr_storage to{};
        char control[512];
        char data[64];
        iovec iov{data, sizeof data};
        msghdr m{};
        m.msg_name = &to;
        m.msg_namelen = sizeof to;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;  // empty (EAGAIN)
        for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
            const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
            const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6) continue;
            sock_extended_err e;
            std::memcpy(&e, CMSG_DATA(c), sizeof e);
            if (is_unreachable(e) && m.msg_namelen > 0 && on_unreachable_)
                on_unreachable_(Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&to)),
                                static_cast<int>(e.ee_errno));
        }
    }
}

void UdpSocket::on_closed(uv_handle_t* h) {
    delete static_cast<UdpSocket*>(h->data);
}

}  // namespace meshcall
