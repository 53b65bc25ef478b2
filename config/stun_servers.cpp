// StunServers: parsing and resolving the "stun" list.
#include "config/stun_servers.hpp"

namespace meshcall {

namespace {

constexpr std::size_t kMaxStunServers = 4;

// Splits "host:port", "[v6]:port" or "host"; false if the text is not one of those.
bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
    port = kStunDefaultPort;
    std::string rest;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) return false;
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
    } else {
        const auto colon = text.rfind(':');
        if (colon != std::string::npos && text.find(':') != colon) {  // a bare IPv6 literal
            host = text;
            return true;
        }
        host = colon == std::string::npos ? text : text.substr(0, colon);
        rest = colon == std::string::npos ? "" : text.substr(colon);
    }
    if (host.empty() || host.size() > 253) return false;
    if (rest.empty()) return true;
    if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return false;
    unsigned value = 0;
    for (std::size_t i = 1; i < rest.size(); ++i) {
        if (rest[i] < '0' || rest[i] > '9') return false;
        value = value * 10 + unsigned(rest[i] - '0');
    }
    if (value < 1 || value > 65535) return false;
    port = static_cast<uint16_t>(value);
    return true;
}

}  // namespace

std::vector<StunServer> parse_stun_servers(JsonReader& r) {
    std::vector<StunServer> out;
    if (!r.has("stun")) return out;
    const auto& list = r.get_array("stun");
    if (list.size() > kMaxStunServers)
        r.fail(r.path_of("stun"), "lists " + std::to_string(list.size()) +
                                      " servers; at most " + std::to_string(kMaxStunServers));
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = r.path_of("stun") + "[" + std::to_string(i) + "]";
        if (!list[i].is_string()) r.fail(path, "must be a string \"host:port\"");
        StunServer s;
        s.text = list[i].get<std::string>();
        std::string host;
        uint16_t port = 0;
        if (!split_host_port(s.text, host, port))
            r.fail(path, "\"" + s.text + "\" is not \"host:port\" (a STUN server, e.g. "
                         "\"stun.example.net:3478\")");
        Resolved res = resolve_udp(host, port);
        if (!res.address) r.fail(path, "\"" + s.text + "\": " + res.error);
        s.address = *res.address;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace meshcall
