// Test support: the relayed call.
#include "tests/support/relayed_call.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace meshcall::test {

RelayedCall::RelayedCall(const TempDir& dir, bool with_carol, const nlohmann::json& room_extra)
    : dir_(dir) {
    alice_port_ = free_udp_port();
    bob_port_ = free_udp_port();
    const int relay_in = free_udp_port(), relay_out = free_udp_port();
    const int carol = with_carol ? free_udp_port() : 0;
    to_alice_ = bound_udp(relay_in);
    to_bob_ = bound_udp(relay_out);
    if (to_alice_ < 0 || to_bob_ < 0) {
        if (to_alice_ >= 0) close(to_alice_);
        if (to_bob_ >= 0) close(to_bob_);
        throw std::runtime_error("relay: cannot bind its sockets");
    }
    auto rooms = [&](int alice, int bob) {
        std::vector<TestPeer> peers = {{"alice", alice}, {"bob", bob}};
        if (with_carol) peers.push_back({"carol", carol});
        return peers;
    };
    room_a_ = write_room(dir, "alice-room.json", "relayed", rooms(alice_port_, relay_in), 320, 240,
                         400, room_extra);
    const TestRoom room_b = write_room(dir, "bob-room.json", "relayed", rooms(relay_out, bob_port_),
                                       320, 240, 400, room_extra);
    thread_ = std::thread([this] { run(); });
    alice_ = std::make_unique<Daemon>(dir, room_a_, "alice");
    bob_ = std::make_unique<Daemon>(dir, room_b, "bob");
    if (with_carol) {
        const TestRoom room_c =
            write_room(dir, "carol-room.json", "relayed", rooms(alice_port_, bob_port_), 320, 240,
                       400, room_extra);
        carol_ = std::make_unique<Daemon>(dir, room_c, "carol");
    }
}

RelayedCall::~RelayedCall() {
    carol_.reset();
    bob_.reset();
    alice_.reset();
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(to_alice_);
    close(to_bob_);
}

void RelayedCall::restart_alice() {
    alice_->process().signal(SIGKILL);
    alice_->process().wait(std::chrono::seconds(5));
    alice_ = std::make_unique<Daemon>(dir_, room_a_, "alice");
}

bool RelayedCall::ready() {
    return alice_->wait_ready() && bob_->wait_ready() && (!carol_ || carol_->wait_ready());
}

void RelayedCall::set_transform(RelayTransform transform) {
    std::lock_guard lock(mutex_);
    transform_ = std::move(transform);
}

void RelayedCall::run() {
    std::vector<uint8_t> buf(65536);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    const auto to_bob = [this](const Datagram& d) {
        send_udp(to_bob_, bob_port_, d.data(), d.size());
    };
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
        pollfd fds[2] = {{to_alice_, POLLIN, 0}, {to_bob_, POLLIN, 0}};
        if (poll(fds, 2, 50) <= 0) continue;
        if (fds[1].revents & POLLIN) {  // bob -> alice, untouched
            const ssize_t n = recv(to_bob_, buf.data(), buf.size(), 0);
            if (n >= 0) send_udp(to_alice_, alice_port_, buf.data(), static_cast<std::size_t>(n));
        }
        if (fds[0].revents & POLLIN) {
            const ssize_t n = recv(to_alice_, buf.data(), buf.size(), 0);
            if (n < 0) continue;
            Datagram d(buf.begin(), buf.begin() + n);
            std::lock_guard lock(mutex_);
            if (transform_)
                transform_(std::move(d), to_bob);
            else
                to_bob(d);
        }
    }
}

}  // namespace meshcall::test
