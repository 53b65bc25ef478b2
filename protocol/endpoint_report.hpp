// EndpointReport: where one member sees the others (README, "Calling over the internet"). A
// participant in an encrypted room sends it to the other members once a second, inside the
// sealed stream, on the presence PID (so stock demuxers drop it unseen): for each peer it hears
// now, the address:port its datagrams come from; for itself, the external endpoints it knows
// (a port mapping, STUN). Two members behind NATs that both reach a third learn each other's
// mapped endpoints this way and probe them (introductions). Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "config/address.hpp"
#include "protocol/ts_packet.hpp"

namespace meshcall {

struct ReportedEndpoint {
    uint8_t peer = 0;  // its index in the room's peers
    Address endpoint;  // where the reporter hears it (for the reporter itself: its own)

    friend bool operator==(const ReportedEndpoint& a, const ReportedEndpoint& b) {
        return a.peer == b.peer && a.endpoint == b.endpoint;
    }
};

// One or more TS packets (payload only, PUSI, kPeerMessagePid, `continuity` and on): "MCE1",
// version 1, a count, then per entry the peer index, the family (4 or 6), the address (4 or 16
// bytes) and the port (big-endian); 0xff stuffing. Up to 22 IPv4 or 8 IPv6 entries a packet.
// Entries whose endpoint is not known are left out.
std::vector<std::array<uint8_t, kTsPacketSize>> encode_endpoint_report(
    std::span<const ReportedEndpoint> entries, uint8_t continuity);

// The entries of every well-formed report packet among a datagram's TS packets; nullopt if it
// holds none.
std::optional<std::vector<ReportedEndpoint>> find_endpoint_report(std::span<const uint8_t> datagram);

}  // namespace meshcall
