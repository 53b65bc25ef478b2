// NAT-PMP (RFC 6886) through libnatpmp: map, renew and remove one UDP mapping on the default
// gateway (or a given router), under a Deadline. Used by port_mapping.cpp; any thread, blocking.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

#include "nat/deadline.hpp"
#include "nat/port_mapping.hpp"

namespace meshcall::nat_pmp {

// Asks `gateway` ("" = the default route's) for UDP internal_port -> wanted_external (the
// router may choose another) for lifetime_s. The error says why not, without a "NAT-PMP:"
// prefix.
PortMappingAttempt map(uint16_t internal_port, uint16_t wanted_external, uint32_t lifetime_s,
                       const std::string& gateway, const Deadline& deadline, std::stop_token stop);

// Removes the mapping of internal_port on m.gateway (lifetime 0).
bool unmap(const PortMapping& m, uint16_t internal_port, const Deadline& deadline,
           std::string& why);

}  // namespace meshcall::nat_pmp
