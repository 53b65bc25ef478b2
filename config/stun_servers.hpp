// StunServers: the optional "stun" list of a room file or profile: STUN servers ("host:port")
// a participant asks for its public endpoint (README, "Calling over the internet").
#pragma once

#include <string>
#include <vector>

#include "config/address.hpp"
#include "config/json_reader.hpp"

namespace meshcall {

struct StunServer {
    std::string text;  // as written: "stun.example.net:3478"
    Address address;   // resolved once, at load
};

inline constexpr uint16_t kStunDefaultPort = 3478;

// The "stun" array of the object `r` reads (absent: none): each entry "host:port", "host" (port
// 3478) or "[v6]:port", resolved once. At most 4. Fails through `r` naming the entry.
std::vector<StunServer> parse_stun_servers(JsonReader& r);

}  // namespace meshcall
