// portmap_driver: a PortMapper beside a bound UDP socket, driven over stdin, for
// tests/net/portmap_test.py (built with the tests only). It stands for meshcalld's side of a
// mapping: the call's socket and the `portmap` thread.
//
//   portmap_driver PORT [LIFETIME_S]   binds UDP 0.0.0.0:PORT, starts a PortMapper for PORT
//                                      (asking for LIFETIME_S, default 3600: renewed at half)
//   stdin "stop"                 stops the PortMapper (the mapping is removed), keeps the socket
//   stdin "quit" or end of file  exits
//   stdout, a line each:         "mapped A:P via V router G lifetime S" once mapped
//                                "received N bytes from A:P" per datagram
//                                "stopped" once stop() has returned
//                                "fds N" (open descriptors) before start() and after stop()
//   stderr: the log (-vv), with the PortMapper's own lines.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/portmap/port_mapper.hpp"
#include "daemon/util/log.hpp"

using namespace meshcall;

namespace {

int bind_udp(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        std::perror("portmap_driver: bind");
        std::exit(1);
    }
    return fd;
}

void print_datagram(int fd) {
    char buf[2048];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;
    std::printf(
        "received %zd bytes from %s\n", n,
        Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&from)).to_string().c_str());
}

void print_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    std::printf("fds %zu\n", n);
}

// Reads a line from stdin; false at its end.
bool read_command(std::string& line) {
    line.clear();
    char c;
    for (;;) {
        const ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n <= 0) return !line.empty();
        if (c == '\n') return true;
        line += c;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: portmap_driver PORT [LIFETIME_S]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    init_logging(2);
    const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
    const int fd = bind_udp(port);
    PortMapper::Timing timing;
    if (argc == 3) timing.lifetime_s = static_cast<uint32_t>(std::atoi(argv[2]));
    PortMapper mapper(timing);
    print_fds();
    mapper.start(port);
    bool announced = false;
    for (;;) {
        if (!announced) {
            if (const auto m = mapper.current()) {
                std::printf("mapped %s via %s router %s lifetime %u\n",
                            m->external.to_string().c_str(), m->via.c_str(), m->gateway.c_str(),
                            m->lifetime_s);
                announced = true;
            }
        }
        pollfd fds[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        if (poll(fds, 2, 50) < 0) continue;
        if (fds[0].revents & POLLIN) print_datagram(fd);
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            std::string command;
            const bool more = read_command(command);
            if (command == "stop") {
                mapper.stop();
                std::printf("stopped\n");
                print_fds();
            }
            if (!more || command == "quit") break;
        }
    }
    mapper.stop();
    close(fd);
    return 0;
}
