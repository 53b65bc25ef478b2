// PortMapping: ask the home router to forward a UDP port to us — NAT-PMP first, then UPnP-IGD —
// renew it, and remove it again; every call blocking and bounded in time.
//
// Threads: any thread, one call at a time per mapping (nothing is shared between calls; the
// libraries' handles live and die inside each call). Blocking: meshcalld calls these from its
// `portmap` thread (daemon/portmap/), `meshcall check --probe` from main.
//
// How the bound holds: NAT-PMP waits (libnatpmp's retries, 250 ms doubling) run under our own
// deadline, and in map_udp_port at most a third of the time goes to them; UPnP's SSDP
// discovery takes 1 s (miniupnpc's shortest wait, MX = 1) and is not started when less than
// that is left. A router found before (renewal, removal) must first take a TCP connection
// within the deadline. What follows (its description, the SOAP actions) takes milliseconds on
// a LAN; the deadline is checked before each step, and a router that stops answering half-way
// holds one step for at most miniupnpc's own socket timeout (3 s): the one way past the bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "config/address.hpp"

namespace meshcall {

struct PortMapping {
    Address external;         // the router's public address and the port it forwards to us
    std::string via;          // "nat-pmp" | "upnp"
    std::string gateway;      // the router that holds the mapping ("192.168.77.1")
    uint32_t lifetime_s = 0;  // granted (0: until removed, a router that only keeps those)
    std::string upnp_url;     // UPnP: the router's description, to renew and remove without
                              // a new discovery; empty for NAT-PMP
};

struct PortMappingAttempt {
    std::optional<PortMapping> mapping;
    // Without a mapping: what was tried and why each failed, in words ("NAT-PMP: no answer
    // from 192.168.77.1 in 1 s; UPnP: no IGD found (no answer to SSDP in 1 s)").
    std::string error;
};

// Maps UDP internal_port (on this host's address toward the router) to the same external port
// if it is free, else to any. Returns within `timeout` (see above for the one exception).
// `stop` ends the attempt early (checked between steps and every 50 ms while waiting).
PortMappingAttempt map_udp_port(uint16_t internal_port, uint32_t lifetime_s,
                                std::chrono::milliseconds timeout, std::stop_token stop = {});

// Renews `m` on the same router by the same method, keeping its external port if the router
// agrees. A failure (the router restarted, changed, lost the mapping) says so; the caller then
// maps afresh with map_udp_port.
PortMappingAttempt renew_udp_port(const PortMapping& m, uint16_t internal_port, uint32_t lifetime_s,
                                  std::chrono::milliseconds timeout, std::stop_token stop = {});

// Removes `m`. Returns whether the router confirmed it; `why` (if given) gets the reason it
// did not.
bool unmap_udp_port(const PortMapping& m, uint16_t internal_port, std::chrono::milliseconds timeout,
                    std::string* why = nullptr);

// "11.0.0.1:41310 (upnp, router 192.168.77.1)".
std::string describe(const PortMapping& m);

}  // namespace meshcall
