// Tests protocol/stun_query against a scripted STUN server on loopback (a real socket on a
// thread): the answer it takes, what it ignores, its retransmissions and its errors.
#include "protocol/stun_query.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "protocol/stun_message.hpp"
#include "tests/support/process.hpp"

using namespace meshcall;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

namespace {

Address loopback(int port) {
    Resolved r = resolve_udp("127.0.0.1", static_cast<uint16_t>(port));
    REQUIRE(r.address);
    return *r.address;
}

// A bound loopback UDP socket, closed with the object.
struct Socket {
    int port = test::free_udp_port();
    int fd = test::bound_udp(port);
    Socket() { REQUIRE(fd >= 0); }
    ~Socket() { close(fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
};

// A STUN response of `type` to `id` with XOR-MAPPED-ADDRESS `a.b.c.d:port` (RFC 8489 14.2).
Bytes response(uint16_t type, const StunTransactionId& id, const uint8_t (&ip)[4], uint16_t port) {
    const uint8_t cookie[4] = {0x21, 0x12, 0xa4, 0x42};
    const uint16_t xport = port ^ 0x2112;
    const uint8_t head[4] = {uint8_t(type >> 8), uint8_t(type), 0x00, 0x0c};
    const uint8_t attribute[8] = {0x00,          0x20, 0x00, 0x08, 0x00, 0x01, uint8_t(xport >> 8),
                                  uint8_t(xport)};
    Bytes m(32);
    std::copy(head, head + 4, m.begin());
    std::copy(cookie, cookie + 4, m.begin() + 4);
    std::copy(id.begin(), id.end(), m.begin() + 8);
    std::copy(attribute, attribute + 8, m.begin() + 20);
    for (int i = 0; i < 4; ++i) m[28 + i] = ip[i] ^ cookie[i];
    return m;
}

void send_to(int fd, int port, const Bytes& d) {
    test::send_udp(fd, port, d.data(), d.size());
}

struct Request {
    Clock::time_point at;
    Bytes bytes;
    int from_port = 0;
};

// Waits up to `timeout` for one datagram on `fd`.
std::optional<Request> receive(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    Request r;
    r.bytes.resize(2048);
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const ssize_t n = recvfrom(fd, r.bytes.data(), r.bytes.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    r.at = Clock::now();
    r.bytes.resize(static_cast<std::size_t>(n));
    r.from_port = ntohs(from.sin_port);
    return r;
}

StunTransactionId id_of(const Bytes& request) {
    StunTransactionId id{};
    if (request.size() >= 20) std::copy(request.begin() + 8, request.begin() + 20, id.begin());
    return id;
}

}  // namespace

TEST_CASE("stun query: takes its own success response from the server and drops everything else") {
    Socket client, server, elsewhere;
    std::thread script([&client, &server, &elsewhere] {
        const auto request = receive(server.fd, 5s);
        if (!request) return;
        const StunTransactionId id = id_of(request->bytes);
        StunTransactionId other = id;
        other[11] ^= 0xff;
        // The right transaction from the wrong address; another transaction; an error response;
        // not STUN at all; then the answer.
        send_to(elsewhere.fd, client.port, response(0x0101, id, {6, 6, 6, 6}, 666));
        send_to(server.fd, client.port, response(0x0101, other, {6, 6, 6, 7}, 667));
        send_to(server.fd, client.port, response(0x0111, id, {6, 6, 6, 8}, 668));
        send_to(server.fd, client.port, Bytes(188, 0x47));
        send_to(server.fd, client.port, response(0x0101, id, {203, 0, 113, 5}, 4242));
    });
    std::string error;
    const auto mapped = stun_query(client.fd, loopback(server.port), 2s, error);
    script.join();
    REQUIRE_MESSAGE(mapped, error);
    CHECK(mapped->to_string() == "203.0.113.5:4242");
    CHECK(error.empty());
}

TEST_CASE("stun query: retransmits at 0, 250 and 750 ms in 2 s, then says there was no answer") {
    Socket client, server;
    std::atomic<bool> done{false};
    std::vector<Request> requests;
    std::thread listen([&server, &done, &requests] {
        while (!done) {
            if (auto r = receive(server.fd, 50ms)) requests.push_back(*r);
        }
    });
    std::string error;
    const auto start = Clock::now();
    const auto mapped = stun_query(client.fd, loopback(server.port), 2s, error);
    const auto took = Clock::now() - start;
    done = true;
    listen.join();

    CHECK_FALSE(mapped);
    CHECK(error ==
          "no answer from 127.0.0.1:" + std::to_string(server.port) + " in 2 s (3 requests sent)");
    CHECK(took >= 2s);
    CHECK(took < 2500ms);
    REQUIRE(requests.size() == 3);
    for (const Request& r : requests) {
        CHECK(r.bytes == requests[0].bytes);  // one transaction, the same request again
        CHECK(r.from_port == client.port);
    }
    CHECK(looks_like_stun(requests[0].bytes));
    CHECK(requests[0].at - start < 100ms);
    const auto first_gap = requests[1].at - requests[0].at;
    const auto second_gap = requests[2].at - requests[1].at;
    CHECK(first_gap >= 240ms);
    CHECK(first_gap < 400ms);
    CHECK(second_gap >= 490ms);
    CHECK(second_gap < 650ms);
}

TEST_CASE("stun query: an answer to the second request is taken") {
    Socket client, server;
    std::thread script([&client, &server] {
        const auto first = receive(server.fd, 5s);
        const auto second = receive(server.fd, 5s);
        if (!first || !second) return;
        send_to(server.fd, client.port, response(0x0101, id_of(second->bytes), {192, 0, 2, 9}, 9));
    });
    std::string error;
    const auto mapped = stun_query(client.fd, loopback(server.port), 2s, error);
    script.join();
    REQUIRE_MESSAGE(mapped, error);
    CHECK(mapped->to_string() == "192.0.2.9:9");
}

TEST_CASE("stun query: only error responses from the server are named as such") {
    Socket client, server;
    std::thread script([&client, &server] {
        if (const auto request = receive(server.fd, 5s))
            send_to(server.fd, client.port,
                    response(0x0111, id_of(request->bytes), {1, 2, 3, 4}, 5));
    });
    std::string error;
    CHECK_FALSE(stun_query(client.fd, loopback(server.port), 500ms, error));
    script.join();
    CHECK(error == "no Binding success response from 127.0.0.1:" + std::to_string(server.port) +
                       " in 500 ms: 1 datagram from it was something else (an error response, "
                       "or not STUN) (3 requests sent)");
}

TEST_CASE("stun query: a server of another family or a closed socket fails at once, in words") {
    Socket client;
    Resolved v6 = resolve_udp("::1", 3478);
    REQUIRE(v6.address);
    std::string error;
    auto start = Clock::now();
    CHECK_FALSE(stun_query(client.fd, *v6.address, 2s, error));
    CHECK(Clock::now() - start < 500ms);
    CHECK(error ==
          "cannot send a STUN request to [::1]:3478: Address family not supported by "
          "protocol");

    error.clear();
    start = Clock::now();
    CHECK_FALSE(stun_query(-1, loopback(3478), 2s, error));
    CHECK(Clock::now() - start < 500ms);
    CHECK(error == "cannot send a STUN request to 127.0.0.1:3478: Bad file descriptor");

    error.clear();
    CHECK_FALSE(stun_query(client.fd, Address{}, 2s, error));
    CHECK(error == "no STUN server address");
}
