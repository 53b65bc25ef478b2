// reachability: `meshcall check --probe` — what the internet sees of your port: the home
// router's port mapping (nat/), asked for briefly and removed again.
#pragma once

#include <cstdint>

namespace meshcall {

// Prints one line per source, e.g. "external endpoint: 11.0.0.1:41310 (upnp, router
// 192.168.77.1)" or "port mapping: none (NAT-PMP: ...; UPnP: ...)". Blocks for at most ~4 s.
// Never fails the check: what a network lacks is information, not an error.
void print_reachability(uint16_t port);

}  // namespace meshcall
