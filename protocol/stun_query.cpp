// StunQuery: a blocking STUN Binding transaction over a caller's UDP socket (sendto, poll,
// recvfrom), with retransmissions.
#include "protocol/stun_query.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

#include "protocol/stun_message.hpp"

namespace meshcall {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string errno_words(int err) {
    return std::generic_category().message(err);
}

// "2 s", "1.5 s", "300 ms".
std::string duration_words(milliseconds d) {
    const long long ms = d.count();
    if (ms < 1000) return std::to_string(ms) + " ms";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000);
    return text;
}

// What one attempt to read or write the socket came to.
enum class Io { done, lost, failed };

// Sends the request. A send the kernel drops for now (a full buffer, an ICMP error left over
// from an earlier datagram) is lost like a datagram on the wire: the next retransmission covers
// it. Anything else (wrong family, no route, not a socket) ends the query.
Io send_request(int fd, const std::vector<uint8_t>& request, const Address& server,
                std::string& error) {
    for (;;) {
        if (sendto(fd, request.data(), request.size(), 0, server.sa(), server.length) >= 0)
            return Io::done;
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == ECONNREFUSED)
            return Io::lost;
        error = "cannot send a STUN request to " + server.to_string() + ": " + errno_words(err);
        return Io::failed;
    }
}

struct Reading {
    std::optional<Address> mapped;
    int ignored_from_server = 0;  // from the server, but not our success response
    int network_error = 0;        // the last ICMP-borne error the socket reported
};

// Reads the datagrams waiting on the socket until our answer turns up; at most 64 at a time,
// so that a flood cannot hold the query past its deadline.
Io read_waiting(int fd, const Address& server, const StunTransactionId& id, Reading& r,
                std::string& error) {
    std::array<uint8_t, 2048> buffer;
    for (int count = 0; count < 64; ++count) {
        sockaddr_storage from{};
        socklen_t from_length = sizeof from;
        const ssize_t n = recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                                   reinterpret_cast<sockaddr*>(&from), &from_length);
        if (n < 0) {
            const int err = errno;
            if (err == EINTR) continue;  // counted too: signals cannot hold the query either
            if (err == EAGAIN || err == EWOULDBLOCK) return Io::done;
            if (err == EBADF || err == ENOTSOCK || err == EINVAL || err == EFAULT) {
                error = "cannot read the UDP socket: " + errno_words(err);
                return Io::failed;
            }
            r.network_error = err;  // refused, unreachable: for the words if no answer comes
            return Io::done;
        }
        if (static_cast<std::size_t>(n) > buffer.size()) continue;  // truncated: not ours
        if (!(Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&from)) == server)) continue;
        r.mapped = parse_stun_binding_response(
            std::span<const uint8_t>(buffer.data(), static_cast<std::size_t>(n)), id);
        if (r.mapped) return Io::done;
        ++r.ignored_from_server;
    }
    return Io::done;
}

std::string no_answer_words(const Address& server, milliseconds timeout, int sent,
                            const Reading& r) {
    std::string words;
    if (r.ignored_from_server > 0) {
        words = "no Binding success response from " + server.to_string() + " in " +
                duration_words(timeout) + ": " + std::to_string(r.ignored_from_server) +
                (r.ignored_from_server == 1 ? " datagram from it was" : " datagrams from it were") +
                " something else (an error response, or not STUN)";
    } else {
        words = "no answer from " + server.to_string() + " in " + duration_words(timeout);
    }
    words += " (" + std::to_string(sent) + (sent == 1 ? " request" : " requests") + " sent";
    if (r.network_error != 0) words += "; the network said: " + errno_words(r.network_error);
    return words + ")";
}

}  // namespace

std::optional<Address> stun_query(int udp_fd, const Address& server, milliseconds timeout,
                                  std::string& error) {
    if (server.length == 0) {
        error = "no STUN server address";
        return std::nullopt;
    }
    const StunTransactionId id = new_stun_transaction_id();
    const std::vector<uint8_t> request = encode_stun_binding_request(id);

    const auto start = Clock::now();
    const auto deadline = start + timeout;
    milliseconds interval = std::clamp(timeout / 8, milliseconds(50), milliseconds(500));
    auto next_send = start;  // time_point::max(): no more requests
    int sent = 0;
    Reading reading;
    for (;;) {
        const auto now = Clock::now();
        if (now >= next_send) {
            const Io io = send_request(udp_fd, request, server, error);
            if (io == Io::failed) return std::nullopt;
            ++sent;
            const auto after = next_send + interval;
            interval *= 2;
            // A retransmission only if the interval that would follow it still fits.
            next_send = after + interval <= deadline ? after : Clock::time_point::max();
        }
        if (now >= deadline) break;
        const auto wake = std::min(next_send, deadline);
        const auto wait = std::chrono::ceil<milliseconds>(wake - now);
        pollfd p{udp_fd, POLLIN, 0};
        const int rc = poll(&p, 1, static_cast<int>(std::max(wait, milliseconds(0)).count()));
        if (rc < 0 && errno != EINTR) {
            error = "cannot wait on the UDP socket: " + errno_words(errno);
            return std::nullopt;
        }
        if (rc > 0 && (p.revents & POLLNVAL)) {
            error = "cannot wait on the UDP socket: not an open socket";
            return std::nullopt;
        }
        if (rc > 0) {
            if (read_waiting(udp_fd, server, id, reading, error) == Io::failed) return std::nullopt;
            if (reading.mapped) return reading.mapped;
        }
    }
    error = no_answer_words(server, timeout, sent, reading);
    return std::nullopt;
}

}  // namespace meshcall
