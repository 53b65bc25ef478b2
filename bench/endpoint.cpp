// Endpoint: HOST:PORT parsing for the benchmark tools.
#include "bench/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace meshcall::bench {

std::optional<sockaddr_in> parse_endpoint(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    unsigned port = 0;
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port == 0 || port > 65535) return std::nullopt;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, text.substr(0, colon).c_str(), &a.sin_addr) != 1) return std::nullopt;
    return a;
}

std::string check_endpoint(const std::string& text) {
    return parse_endpoint(text) ? "" : "not an IPv4 HOST:PORT: " + text;
}

}  // namespace meshcall::bench
