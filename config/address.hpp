// Address: a resolved UDP endpoint (IPv4 or IPv6) with comparison and printing.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

namespace meshcall {

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;

    int family() const { return storage.ss_family; }
    // False for a default-constructed Address: a peer whose host the room file leaves out.
    bool known() const { return length != 0; }
    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
    uint16_t port() const;
    void set_port(uint16_t port);

    // "192.0.2.1:1313" or "[2001:db8::1]:1313"; "?" when not known.
    std::string to_string() const;

    static Address from_sockaddr(const sockaddr* sa);

    // Same family, address and port (an unknown address equals nothing).
    friend bool operator==(const Address& a, const Address& b);
};

// Resolves host (an IPv4/IPv6 literal or a DNS name) once. Returns the error text on failure.
struct Resolved {
    std::optional<Address> address;
    std::string error;
};
Resolved resolve_udp(const std::string& host, uint16_t port);

}  // namespace meshcall
