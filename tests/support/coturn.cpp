// Test support: coturn started and asked until it answers.
#include "tests/support/coturn.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "protocol/stun_query.hpp"

namespace meshcall::test {

namespace {
Address address(const char* ip, int port) {
    Resolved r = resolve_udp(ip, static_cast<uint16_t>(port));
    if (!r.address) throw std::runtime_error(std::string("coturn: ") + ip + ": " + r.error);
    return *r.address;
}
}  // namespace

Coturn::Coturn(const TempDir& dir, const char* ip)
    : port_(free_udp_port()),
      log_(dir.file("turnserver.log")),
      server_(address(ip, port_)),
      process_({"turnserver", "-n", "--stun-only", "--no-cli", "--no-tcp", "--no-tls",
                "--no-dtls", "--listening-ip", ip, "--listening-port", std::to_string(port_),
                "--log-file", log_, "--simple-log", "--no-stdout-log", "--pidfile",
                dir.file("turnserver.pid")},
               dir.file("turnserver.out")) {}

bool Coturn::wait_ready(std::chrono::milliseconds timeout) {
    const int fd = socket(server_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool ok = wait_until(
        [&] {
            std::string error;
            return process_.running() &&
                   stun_query(fd, server_, std::chrono::milliseconds(200), error).has_value();
        },
        timeout);
    close(fd);
    return ok;
}

}  // namespace meshcall::test
