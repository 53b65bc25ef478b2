// EndpointReport: encoding and decoding of the members' endpoint reports.
#include "protocol/endpoint_report.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "protocol/peer_message.hpp"

namespace meshcall {

namespace {

constexpr uint8_t kMagic[4] = {'M', 'C', 'E', '1'};
constexpr uint8_t kVersion = 1;
constexpr std::size_t kHeader = 4;                    // TS header bytes
constexpr std::size_t kPreamble = kHeader + 4 + 1 + 1;  // + magic, version, count

std::size_t entry_size(const Address& a) {
    return a.family() == AF_INET ? 1 + 1 + 4 + 2 : 1 + 1 + 16 + 2;
}

void write_entry(uint8_t* p, const ReportedEndpoint& e) {
    p[0] = e.peer;
    const uint16_t port = e.endpoint.port();
    if (e.endpoint.family() == AF_INET) {
        p[1] = 4;
        std::memcpy(p + 2, &reinterpret_cast<const sockaddr_in*>(e.endpoint.sa())->sin_addr, 4);
        p[6] = static_cast<uint8_t>(port >> 8);
        p[7] = static_cast<uint8_t>(port);
    } else {
        p[1] = 6;
        std::memcpy(p + 2, &reinterpret_cast<const sockaddr_in6*>(e.endpoint.sa())->sin6_addr, 16);
        p[18] = static_cast<uint8_t>(port >> 8);
        p[19] = static_cast<uint8_t>(port);
    }
}

// Reads one entry at p (at most `left` bytes); its size, or 0 if malformed.
std::size_t read_entry(const uint8_t* p, std::size_t left, ReportedEndpoint& e) {
    if (left < 2) return 0;
    e.peer = p[0];
    e.endpoint = Address{};
    if (p[1] == 4 && left >= 8) {
        auto* in = reinterpret_cast<sockaddr_in*>(&e.endpoint.storage);
        in->sin_family = AF_INET;
        std::memcpy(&in->sin_addr, p + 2, 4);
        e.endpoint.length = sizeof(sockaddr_in);
        e.endpoint.set_port(static_cast<uint16_t>(p[6] << 8 | p[7]));
        return 8;
    }
    if (p[1] == 6 && left >= 20) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.endpoint.storage);
        in6->sin6_family = AF_INET6;
        std::memcpy(&in6->sin6_addr, p + 2, 16);
        e.endpoint.length = sizeof(sockaddr_in6);
        e.endpoint.set_port(static_cast<uint16_t>(p[18] << 8 | p[19]));
        return 20;
    }
    return 0;
}

std::array<uint8_t, kTsPacketSize> start_packet(uint8_t continuity) {
    std::array<uint8_t, kTsPacketSize> p = peer_pid_packet(continuity);
    std::memcpy(&p[kHeader], kMagic, 4);
    p[kHeader + 4] = kVersion;
    p[kHeader + 5] = 0;  // count
    return p;
}

// Appends the entries of one report packet to `out`; false if it is not one.
bool decode_packet(std::span<const uint8_t, kTsPacketSize> p, std::vector<ReportedEndpoint>& out) {
    TsHeader h;
    if (!parse_ts_header(p, h) || h.pid != kPeerMessagePid || !h.has_payload || !h.payload_start)
        return false;
    if ((p[3] & 0x30) != 0x10) return false;
    if (std::memcmp(&p[kHeader], kMagic, 4) != 0 || p[kHeader + 4] != kVersion) return false;
    const std::size_t count = p[kHeader + 5];
    std::vector<ReportedEndpoint> entries;
    std::size_t at = kPreamble;
    for (std::size_t k = 0; k < count; ++k) {
        ReportedEndpoint e;
        const std::size_t n = read_entry(&p[at], kTsPacketSize - at, e);
        if (n == 0) return false;
        at += n;
        entries.push_back(e);
    }
    out.insert(out.end(), entries.begin(), entries.end());
    return true;
}

}  // namespace

std::vector<std::array<uint8_t, kTsPacketSize>> encode_endpoint_report(
    std::span<const ReportedEndpoint> entries, uint8_t continuity) {
    std::vector<std::array<uint8_t, kTsPacketSize>> packets;
    std::size_t at = kTsPacketSize;  // no packet open yet
    for (const auto& e : entries) {
        if (!e.endpoint.known() ||
            (e.endpoint.family() != AF_INET && e.endpoint.family() != AF_INET6))
            continue;
        if (at + entry_size(e.endpoint) > kTsPacketSize) {
            packets.push_back(start_packet(static_cast<uint8_t>(continuity + packets.size())));
            at = kPreamble;
        }
        auto& p = packets.back();
        write_entry(&p[at], e);
        at += entry_size(e.endpoint);
        ++p[kHeader + 5];
    }
    if (packets.empty()) packets.push_back(start_packet(continuity));  // "I hear no one"
    return packets;
}

std::optional<std::vector<ReportedEndpoint>> find_endpoint_report(std::span<const uint8_t> d) {
    std::optional<std::vector<ReportedEndpoint>> found;
    for (std::size_t off = 0; off + kTsPacketSize <= d.size(); off += kTsPacketSize) {
        auto packet = d.subspan(off).first<kTsPacketSize>();
        if ((((packet[1] & 0x1f) << 8) | packet[2]) != kPeerMessagePid) continue;
        std::vector<ReportedEndpoint> entries;
        if (!decode_packet(packet, entries)) continue;
        if (!found) found.emplace();
        found->insert(found->end(), entries.begin(), entries.end());
    }
    return found;
}

}  // namespace meshcall
