// Test support: a UDP relay that delays each datagram by delay ± jitter ms (uniform, seeded),
// in order (a later datagram never overtakes an earlier one, as on a queueing path), for a
// stock sender that cannot be put behind RelayedCall. It listens on a loopback port of its own
// and sends from `from_port` (the sender's listed port, so the receiver takes it for the sender)
// to `to_port`. Runs on its own thread until the object goes.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace meshcall::test {

class JitterRelay {
  public:
    JitterRelay(int from_port, int to_port, int delay_ms, int jitter_ms, uint32_t seed = 1);
    ~JitterRelay();
    JitterRelay(const JitterRelay&) = delete;
    JitterRelay& operator=(const JitterRelay&) = delete;

    int listen_port() const { return listen_port_; }  // where the sender sends
    uint64_t relayed() const { return relayed_.load(); }

  private:
    void run(int delay_ms, int jitter_ms, uint32_t seed);

    int in_ = -1, out_ = -1, listen_port_ = 0, to_port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> relayed_{0};
    std::thread thread_;
};

}  // namespace meshcall::test
