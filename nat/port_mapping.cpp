// PortMapping: NAT-PMP, then UPnP-IGD, within one deadline.
#include "nat/port_mapping.hpp"

#include "nat/deadline.hpp"
#include "nat/nat_pmp.hpp"
#include "nat/upnp_igd.hpp"

namespace meshcall {

namespace {
const char* method_name(const std::string& via) {
    return via == "upnp" ? "UPnP" : "NAT-PMP";
}
}  // namespace

PortMappingAttempt map_udp_port(uint16_t internal_port, uint32_t lifetime_s,
                                std::chrono::milliseconds timeout, std::stop_token stop) {
    const Deadline all(timeout);
    // NAT-PMP answers in a round trip when the router speaks it; a third of the time is plenty
    // and leaves UPnP its 1 s of SSDP discovery.
    PortMappingAttempt pmp =
        nat_pmp::map(internal_port, internal_port, lifetime_s, "", all.within(timeout / 3), stop);
    if (pmp.mapping) return pmp;
    std::string error = "NAT-PMP: " + pmp.error;
    if (stop.stop_requested()) return {std::nullopt, error + "; UPnP: not tried (stopped)"};
    PortMappingAttempt upnp =
        upnp_igd::map(internal_port, internal_port, lifetime_s, "", all, stop);
    if (upnp.mapping) return upnp;
    return {std::nullopt, error + "; UPnP: " + upnp.error};
}

PortMappingAttempt renew_udp_port(const PortMapping& m, uint16_t internal_port, uint32_t lifetime_s,
                                  std::chrono::milliseconds timeout, std::stop_token stop) {
    const Deadline deadline(timeout);
    PortMappingAttempt a = m.via == "upnp" ? upnp_igd::map(internal_port, m.external.port(),
                                                           lifetime_s, m.upnp_url, deadline, stop)
                                           : nat_pmp::map(internal_port, m.external.port(),
                                                          lifetime_s, m.gateway, deadline, stop);
    if (!a.mapping) a.error = std::string(method_name(m.via)) + ": " + a.error;
    return a;
}

bool unmap_udp_port(const PortMapping& m, uint16_t internal_port, std::chrono::milliseconds timeout,
                    std::string* why) {
    const Deadline deadline(timeout);
    std::string error;
    const bool ok = m.via == "upnp" ? upnp_igd::unmap(m, deadline, error)
                                    : nat_pmp::unmap(m, internal_port, deadline, error);
    if (!ok && why) *why = std::string(method_name(m.via)) + ": " + error;
    return ok;
}

std::string describe(const PortMapping& m) {
    return m.external.to_string() + " (" + m.via + ", router " + m.gateway + ")";
}

}  // namespace meshcall
