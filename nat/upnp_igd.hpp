// UPnP-IGD through miniupnpc: find the internet gateway (SSDP), map, renew and remove one UDP
// mapping, under a Deadline. Used by port_mapping.cpp; any thread, blocking.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

#include "nat/deadline.hpp"
#include "nat/port_mapping.hpp"

namespace meshcall::upnp_igd {

// SSDP discovery's shortest wait (miniupnpc rounds anything shorter up to MX = 1 s).
constexpr std::chrono::milliseconds kDiscoveryWait{1000};

// Maps UDP internal_port (on the LAN address the router sees) to wanted_external. With
// `igd_url` "" the router is found by SSDP and, should wanted_external be taken, any other
// port is accepted; with the URL of a known router's description (a renewal), only that port.
// The error says why not, without a "UPnP:" prefix.
PortMappingAttempt map(uint16_t internal_port, uint16_t wanted_external, uint32_t lifetime_s,
                       const std::string& igd_url, const Deadline& deadline, std::stop_token stop);

// Removes m's external port on the router at m.upnp_url.
bool unmap(const PortMapping& m, const Deadline& deadline, std::string& why);

}  // namespace meshcall::upnp_igd
