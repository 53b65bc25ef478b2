// reachability: `meshcall check --probe` — what the internet sees of your port: the home
// router's port mapping (nat/), asked for briefly and removed again, and what the room's STUN
// servers see (protocol/stun_query).
#pragma once

#include <cstdint>
#include <vector>

#include "config/stun_servers.hpp"

namespace meshcall {

// Prints one line per source, e.g. "external endpoint: 11.0.0.1:41310 (upnp, router
// 192.168.77.1)" or "port mapping: none (NAT-PMP: ...; UPnP: ...)", then per STUN server
// "public endpoint (STUN 198.51.100.1:3478): A:P" or why not. Blocks for at most ~4 s plus 2 s
// per STUN server. Never fails the check: what a network lacks is information, not an error.
void print_reachability(uint16_t port, const std::vector<StunServer>& stun);

}  // namespace meshcall
