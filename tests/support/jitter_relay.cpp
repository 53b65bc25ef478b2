// JitterRelay: delayed, in-order delivery on loopback.
#include "tests/support/jitter_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>
#include <stdexcept>
#include <vector>

namespace meshcall::test {

namespace {

int bound_socket(int port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) throw std::runtime_error("jitter relay: no socket");
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        close(fd);
        throw std::runtime_error("jitter relay: cannot bind port " + std::to_string(port));
    }
    return fd;
}

int port_of(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

}  // namespace

JitterRelay::JitterRelay(int from_port, int to_port, int delay_ms, int jitter_ms, uint32_t seed)
    : to_port_(to_port) {
    in_ = bound_socket(0);
    try {
        out_ = bound_socket(from_port);
    } catch (...) {
        close(in_);
        throw;
    }
    listen_port_ = port_of(in_);
    thread_ = std::thread([=, this] { run(delay_ms, jitter_ms, seed); });
}

JitterRelay::~JitterRelay() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(in_);
    close(out_);
}

void JitterRelay::run(int delay_ms, int jitter_ms, uint32_t seed) {
    using Clock = std::chrono::steady_clock;
    struct Held {
        Clock::time_point due;
        std::vector<uint8_t> bytes;
    };
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> jitter(-jitter_ms * 1000, jitter_ms * 1000);
    std::deque<Held> held;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(to_port_));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto end = Clock::now() + std::chrono::minutes(2);  // bounded, whatever the test does
    std::vector<uint8_t> buf(65536);
    while (!stop_ && Clock::now() < end) {
        int wait_ms = 20;
        if (!held.empty()) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                held.front().due - Clock::now());
            wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 20));
        }
        pollfd p{in_, POLLIN, 0};
        if (poll(&p, 1, wait_ms) > 0 && (p.revents & POLLIN)) {
            const ssize_t n = recv(in_, buf.data(), buf.size(), 0);
            if (n > 0) {
                auto due = Clock::now() + std::chrono::microseconds(delay_ms * 1000 + jitter(rng));
                if (!held.empty() && due < held.back().due) due = held.back().due;  // in order
                held.push_back({due, {buf.begin(), buf.begin() + n}});
            }
        }
        while (!held.empty() && held.front().due <= Clock::now()) {
            const auto& b = held.front().bytes;
            sendto(out_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            ++relayed_;
            held.pop_front();
        }
    }
}

}  // namespace meshcall::test
