// PeerMessage: presence, mute state and leave between meshcall peers, carried in-band in the
// participant's own TS stream as one 188-byte packet on a PID that no PMT lists, so stock
// demuxers drop it unseen. Sent every 500 ms and at once on a change; three times on leaving.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "protocol/ts_packet.hpp"

namespace meshcall {

inline constexpr uint16_t kPeerMessagePid = 0x1f00;

struct PeerMessage {
    std::string name;  // the sender's participant name (at most 64 bytes)
    uint32_t seq = 0;  // increases with every message a sender sends
    bool audio_muted = false;
    bool video_muted = false;
    bool leaving = false;

    friend bool operator==(const PeerMessage&, const PeerMessage&) = default;
};

// A TS packet on kPeerMessagePid (sync, PUSI, payload only, `continuity`), its payload all
// 0xff: what the peer message and the endpoint report (protocol/endpoint_report) fill in.
std::array<uint8_t, kTsPacketSize> peer_pid_packet(uint8_t continuity);

// One TS packet: sync, PUSI, kPeerMessagePid, payload only, `continuity`; payload "MCP1",
// version 1, flags (bit 0 audio muted, bit 1 video muted, bit 2 leaving), seq (big-endian),
// name length, name, 0xff stuffing.
std::array<uint8_t, kTsPacketSize> encode_peer_message(const PeerMessage& message,
                                                       uint8_t continuity);

// Decodes one TS packet; nullopt if it is not a well-formed peer message.
std::optional<PeerMessage> decode_peer_message(std::span<const uint8_t, kTsPacketSize> packet);

// The last peer message among a datagram's TS packets, if any.
std::optional<PeerMessage> find_peer_message(std::span<const uint8_t> datagram);

}  // namespace meshcall
