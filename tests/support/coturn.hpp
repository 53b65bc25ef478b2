// Test support: coturn's turnserver as a real STUN server on loopback (STUN only: no
// configuration file, no TURN, no TCP/TLS/DTLS listeners, no CLI), its log in the test's
// directory. Killed with the object.
#pragma once

#include <chrono>
#include <string>

#include "config/address.hpp"
#include "tests/support/process.hpp"

namespace meshcall::test {

class Coturn {
  public:
    // On `ip` (a loopback literal), at a free port.
    Coturn(const TempDir& dir, const char* ip);

    const Address& server() const { return server_; }
    int port() const { return port_; }
    std::string log() const { return read_file(log_); }

    // Until it answers a Binding request (from a socket of its own), or `timeout`.
    bool wait_ready(std::chrono::milliseconds timeout);

  private:
    int port_;
    std::string log_;
    Address server_;
    Process process_;
};

}  // namespace meshcall::test
