// PeerMessage: encoding and decoding of the in-band presence packet.
#include "protocol/peer_message.hpp"

#include <cstring>

namespace meshcall {

namespace {
constexpr uint8_t kMagic[4] = {'M', 'C', 'P', '1'};
constexpr uint8_t kVersion = 1;
constexpr std::size_t kHeader = 4;  // TS header bytes
constexpr std::size_t kMaxName = 64;
}  // namespace

std::array<uint8_t, kTsPacketSize> peer_pid_packet(uint8_t continuity) {
    std::array<uint8_t, kTsPacketSize> p;
    p.fill(0xff);
    p[0] = kTsSync;
    p[1] = 0x40 | static_cast<uint8_t>(kPeerMessagePid >> 8);  // payload_unit_start
    p[2] = static_cast<uint8_t>(kPeerMessagePid & 0xff);
    p[3] = 0x10 | (continuity & 0x0f);  // payload only
    return p;
}

std::array<uint8_t, kTsPacketSize> encode_peer_message(const PeerMessage& m, uint8_t continuity) {
    std::array<uint8_t, kTsPacketSize> p = peer_pid_packet(continuity);
    std::size_t i = kHeader;
    std::memcpy(&p[i], kMagic, 4);
    i += 4;
    p[i++] = kVersion;
    p[i++] = static_cast<uint8_t>((m.audio_muted ? 1 : 0) | (m.video_muted ? 2 : 0) |
                                  (m.leaving ? 4 : 0));
    for (int s = 24; s >= 0; s -= 8) p[i++] = static_cast<uint8_t>(m.seq >> s);
    const std::size_t n = std::min(m.name.size(), kMaxName);
    p[i++] = static_cast<uint8_t>(n);
    std::memcpy(&p[i], m.name.data(), n);
    return p;
}

std::optional<PeerMessage> decode_peer_message(std::span<const uint8_t, kTsPacketSize> p) {
    TsHeader h;
    if (!parse_ts_header(p, h) || h.pid != kPeerMessagePid || !h.has_payload || !h.payload_start)
        return std::nullopt;
    if ((p[3] & 0x30) != 0x10) return std::nullopt;  // we never send an adaptation field
    std::size_t i = kHeader;
    if (std::memcmp(&p[i], kMagic, 4) != 0 || p[i + 4] != kVersion) return std::nullopt;
    i += 5;
    const uint8_t flags = p[i++];
    if (flags & ~0x07) return std::nullopt;
    PeerMessage m;
    m.audio_muted = flags & 1;
    m.video_muted = flags & 2;
    m.leaving = flags & 4;
    for (int k = 0; k < 4; ++k) m.seq = (m.seq << 8) | p[i++];
    const std::size_t n = p[i++];
    if (n > kMaxName) return std::nullopt;
    m.name.assign(reinterpret_cast<const char*>(&p[i]), n);
    return m;
}

std::optional<PeerMessage> find_peer_message(std::span<const uint8_t> d) {
    std::optional<PeerMessage> found;
    for (std::size_t off = 0; off + kTsPacketSize <= d.size(); off += kTsPacketSize) {
        auto packet = d.subspan(off).first<kTsPacketSize>();
        // Cheap PID test first: this runs for every datagram.
        if ((((packet[1] & 0x1f) << 8) | packet[2]) != kPeerMessagePid) continue;
        if (auto m = decode_peer_message(packet)) found = std::move(m);
    }
    return found;
}

}  // namespace meshcall
