// UdpSocket: the call's one UDP socket as a libuv handle (receive side), bound to our own
// peer's address and port. Event-loop thread only, except fd(), which the send thread uses
// for sendmmsg on the same socket.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/address.hpp"

namespace meshcall {

class UdpSocket {
  public:
    // Called for each datagram received (payload may be empty).
    using OnDatagram = std::function<void(std::span<const uint8_t>, const sockaddr*)>;
    // Called when the network says a destination cannot be reached (ICMP port, host or net
    // unreachable, read from the socket's error queue: IP_RECVERR): the address a datagram of
    // ours was sent to, and the error (ECONNREFUSED for "port unreachable").
    using OnUnreachable = std::function<void(const Address& destination, int error)>;

    // Creates and binds the socket; throws std::runtime_error with a user-facing message.
    // If `address` is not local to this machine (a public address behind NAT), binds the
    // wildcard address of the same family and port instead.
    static UdpSocket* open(uv_loop_t* loop, const Address& address, OnDatagram on_datagram,
                           OnUnreachable on_unreachable = {});

    // Starts receiving (recvmmsg batches where libuv offers them); throws if libuv cannot.
    void start();
    // Closes the handle; the object deletes itself in the close callback.
    void close();

    int fd() const;
    const Address& bound() const { return bound_; }

  private:
    UdpSocket(OnDatagram on_datagram, OnUnreachable on_unreachable);
    ~UdpSocket() = default;
    // Reads the socket's error queue empty (it would otherwise keep the socket readable).
    void drain_errors();
    static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                        unsigned flags);
    static void on_closed(uv_handle_t* h);

    uv_udp_t handle_{};
    OnDatagram on_datagram_;
    OnUnreachable on_unreachable_;
    std::vector<char> buffer_;  // one receive buffer, reused: each datagram is copied out at once
    Address bound_;
};

}  // namespace meshcall
