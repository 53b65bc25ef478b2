// Address: resolution and printing of UDP endpoints.
#include "config/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

namespace meshcall {

uint16_t Address::port() const {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return 0;
}

void Address::set_port(uint16_t port) {
    if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

std::string Address::to_string() const {
    char text[INET6_ADDRSTRLEN] = "?";
    if (family() == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text,
                  sizeof text);
        return std::string(text) + ":" + std::to_string(port());
    }
    if (family() == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text,
                  sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(port());
    }
    return "?";
}

Address Address::from_sockaddr(const sockaddr* sa) {
    Address a;
    if (sa->sa_family == AF_INET) {
        a.length = sizeof(sockaddr_in);
    } else if (sa->sa_family == AF_INET6) {
        a.length = sizeof(sockaddr_in6);
    } else {
        return a;
    }
    std::memcpy(&a.storage, sa, a.length);
    return a;
}

bool operator==(const Address& a, const Address& b) {
    if (a.family() != b.family()) return false;
    if (a.family() == AF_INET) {
        auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage);
        auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a.family() == AF_INET6) {
        auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage);
        auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage);
        return x->sin6_port == y->sin6_port &&
               std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

Resolved resolve_udp(const std::string& host, uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
        // AI_ADDRCONFIG hides loopback-only hosts on machines with no other interface.
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    }
    if (rc != 0 || list == nullptr) {
        return {std::nullopt, std::string("cannot resolve \"") + host + "\": " + gai_strerror(rc)};
    }
    Address a = Address::from_sockaddr(list->ai_addr);
    freeaddrinfo(list);
    return {a, {}};
}

}  // namespace meshcall
