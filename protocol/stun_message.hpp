// StunMessage: the STUN Binding request a participant sends to learn its public endpoint, and
// the mapped address in the server's answer (RFC 8489, compatible with RFC 5389 servers; no
// authentication, no TURN). Pure functions; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "config/address.hpp"

namespace meshcall {

using StunTransactionId = std::array<uint8_t, 12>;

constexpr std::size_t kStunHeaderSize = 20;
constexpr uint32_t kStunMagicCookie = 0x2112A442;

// 96 bits from libsodium's randombytes_buf (which cannot be guessed by an off-path sender: the
// id is what ties an answer to our request). Throws std::runtime_error if libsodium cannot start.
StunTransactionId new_stun_transaction_id();

// A Binding request (type 0x0001): the 20-byte header with the magic cookie and `id`, no
// attributes (servers such as coturn answer it without FINGERPRINT or SOFTWARE).
std::vector<uint8_t> encode_stun_binding_request(const StunTransactionId& id);

// Whether a datagram is shaped like a STUN message: at least 20 bytes, the top two bits 0, the
// magic cookie, and a length field that is a multiple of 4 and equals the size less 20. Never
// true for MPEG-TS (first byte 0x47) or a sealed datagram (0xE4/0xE5): their top bits are not 0.
bool looks_like_stun(std::span<const uint8_t> datagram);

// The mapped address of a Binding success response (type 0x0101) to `id`: XOR-MAPPED-ADDRESS
// (0x0020) if present, else MAPPED-ADDRESS (0x0001); IPv4 or IPv6. Address attributes after
// MESSAGE-INTEGRITY are ignored (RFC 8489 14.5); a FINGERPRINT, if present, must be last and
// match. nullopt for anything else: not STUN, another transaction, an error response, no
// address, an attribute running past the end, an address attribute of the wrong size or family.
std::optional<Address> parse_stun_binding_response(std::span<const uint8_t> datagram,
                                                   const StunTransactionId& id);

}  // namespace meshcall
