// Test support: a call in which everything alice sends to bob passes through a relay in the
// test, which may drop, repeat, hold back, rewrite or add datagrams. alice's room lists bob at
// the relay's first socket and bob's lists alice at its second, so each daemon sees only a
// worse network; carol, when asked for, talks to both directly (the control). The relay runs
// on its own thread until the object goes (at most a minute).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/test_room.hpp"

namespace meshcall::test {

using Datagram = std::vector<uint8_t>;
// Called on the relay thread for each datagram alice sends to bob; `send` delivers one to bob
// (any number of times, the datagram or others). Without one, datagrams pass untouched.
using RelayTransform =
    std::function<void(Datagram datagram, const std::function<void(const Datagram&)>& send)>;

class RelayedCall {
  public:
    // Writes the rooms into `dir` and starts the relay, then the daemons (headless, test
    // pattern and tone, as Daemon does). `room_extra` goes into every room file ("security",
    // "secret", ...).
    RelayedCall(const TempDir& dir, bool with_carol,
                const nlohmann::json& room_extra = nlohmann::json::object());
    ~RelayedCall();
    RelayedCall(const RelayedCall&) = delete;
    RelayedCall& operator=(const RelayedCall&) = delete;

    // Any thread; takes effect from the next datagram.
    void set_transform(RelayTransform transform);

    // Kills alice (SIGKILL: no goodbye) and starts her again on the same room file.
    void restart_alice();

    Daemon& alice() { return *alice_; }
    Daemon& bob() { return *bob_; }
    Daemon& carol() { return *carol_; }  // only with_carol
    bool ready();                        // every daemon answers status (10 s each at most)

  private:
    void run();

    int to_alice_ = -1, to_bob_ = -1;  // the relay's sockets: bob as alice sees him, and back
    int alice_port_ = 0, bob_port_ = 0;
    std::mutex mutex_;
    RelayTransform transform_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    const TempDir& dir_;
    TestRoom room_a_;
    std::unique_ptr<Daemon> alice_, bob_, carol_;
};

}  // namespace meshcall::test
