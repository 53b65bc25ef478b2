// reachability: the router's port mapping for `meshcall check --probe`.
#include "client/reachability.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>

#include "nat/port_mapping.hpp"
#include "protocol/stun_query.hpp"

namespace meshcall {

namespace {

using namespace std::chrono_literals;

constexpr uint32_t kProbeLifetime = 60;  // s: the router drops it even if we could not
constexpr auto kMapTimeout = 3000ms;     // as meshcalld's attempts (daemon/portmap/)
constexpr auto kUnmapTimeout = 1000ms;

// True if a UDP socket on this host already has `port` (a running call): a probe would renew
// and then remove that call's own mapping.
bool port_in_use(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    const bool in_use =
        bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 && errno == EADDRINUSE;
    close(fd);
    return in_use;
}

void print_port_mapping(uint16_t port) {
    if (port_in_use(port)) {
        std::printf(
            "port mapping: not probed (UDP port %u is in use here, by a running call? the probe "
            "would take its mapping away)\n",
            port);
        return;
    }
    const PortMappingAttempt a = map_udp_port(port, kProbeLifetime, kMapTimeout);
    if (!a.mapping) {
        std::printf("port mapping: none (%s)\n", a.error.c_str());
        return;
    }
    std::printf("external endpoint: %s\n", describe(*a.mapping).c_str());
    std::string why;
    if (unmap_udp_port(*a.mapping, port, kUnmapTimeout, &why)) return;
    if (a.mapping->lifetime_s)
        std::fprintf(stderr,
                     "meshcall: warning: the probe's mapping was not removed (%s); the router "
                     "drops it within %u s\n",
                     why.c_str(), a.mapping->lifetime_s);
    else
        std::fprintf(stderr,
                     "meshcall: warning: the probe's mapping was not removed (%s) and this router "
                     "keeps mappings until removed: remove UDP %u in its settings\n",
                     why.c_str(), a.mapping->external.port());
}

// From the call's own port when it is free (the mapping the peers would see), else from any.
void print_stun(uint16_t port, const StunServer& server) {
    const int fd = socket(server.address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    if (server.address.family() == AF_INET && !port_in_use(port)) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        (void)bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
    std::string error;
    const auto mapped = stun_query(fd, server.address, 2000ms, error);
    close(fd);
    if (mapped)
        std::printf("public endpoint (STUN %s): %s\n", server.text.c_str(),
                    mapped->to_string().c_str());
    else
        std::printf("public endpoint (STUN %s): unknown (%s)\n", server.text.c_str(),
                    error.c_str());
}

}  // namespace

void print_reachability(uint16_t port, const std::vector<StunServer>& stun) {
    std::fflush(stdout);  // what check printed so far shows while the router is asked
    print_port_mapping(port);
    for (const auto& s : stun) print_stun(port, s);
}

}  // namespace meshcall
