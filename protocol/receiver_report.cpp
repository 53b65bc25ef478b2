// ReceiverReport: encoding and decoding of the receivers' per-sender reports.
#include "protocol/receiver_report.hpp"

#include <cstring>

#include "protocol/peer_message.hpp"

namespace meshcall {

namespace {
constexpr uint8_t kMagic[4] = {'M', 'C', 'R', '1'};
constexpr uint8_t kVersion = 1;
constexpr std::size_t kHeader = 4;                      // TS header bytes
constexpr std::size_t kPreamble = kHeader + 4 + 1 + 1;  // + magic, version, count
constexpr std::size_t kEntry = 6;
static_assert(kPreamble + kReceiverReportMaxEntries * kEntry <= kTsPacketSize);

bool decode_packet(std::span<const uint8_t, kTsPacketSize> p, std::vector<ReceiverReportEntry>& out) {
    TsHeader h;
    if (!parse_ts_header(p, h) || h.pid != kPeerMessagePid || !h.has_payload || !h.payload_start)
        return false;
    if ((p[3] & 0x30) != 0x10) return false;
    if (std::memcmp(&p[kHeader], kMagic, 4) != 0 || p[kHeader + 4] != kVersion) return false;
    const std::size_t count = p[kHeader + 5];
    if (count > kReceiverReportMaxEntries) return false;
    out.clear();
    for (std::size_t k = 0; k < count; ++k) {
        const uint8_t* e = &p[kPreamble + k * kEntry];
        if (e[5] > 2) return false;
        out.push_back({e[0], e[1], static_cast<uint16_t>(e[2] << 8 | e[3]), e[4], e[5]});
    }
    return true;
}
}  // namespace

std::array<uint8_t, kTsPacketSize> encode_receiver_report(std::span<const ReceiverReportEntry> entries,
                                                          uint8_t continuity) {
    std::array<uint8_t, kTsPacketSize> p = peer_pid_packet(continuity);
    std::memcpy(&p[kHeader], kMagic, 4);
    p[kHeader + 4] = kVersion;
    std::size_t n = 0;
    for (const auto& e : entries) {
        if (n == kReceiverReportMaxEntries) break;
        uint8_t* at = &p[kPreamble + n * kEntry];
        at[0] = e.peer;
        at[1] = e.want_layer;
        at[2] = static_cast<uint8_t>(e.rx_kbps >> 8);
        at[3] = static_cast<uint8_t>(e.rx_kbps);
        at[4] = e.loss;
        at[5] = e.delay;
        ++n;
    }
    p[kHeader + 5] = static_cast<uint8_t>(n);
    return p;
}

std::optional<std::vector<ReceiverReportEntry>> find_receiver_report(std::span<const uint8_t> d) {
    std::optional<std::vector<ReceiverReportEntry>> found;
    for (std::size_t off = 0; off + kTsPacketSize <= d.size(); off += kTsPacketSize) {
        auto packet = d.subspan(off).first<kTsPacketSize>();
        if ((((packet[1] & 0x1f) << 8) | packet[2]) != kPeerMessagePid) continue;
        std::vector<ReceiverReportEntry> entries;
        if (decode_packet(packet, entries)) found = std::move(entries);
    }
    return found;
}

}  // namespace meshcall
