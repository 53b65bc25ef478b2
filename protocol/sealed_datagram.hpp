// SealedDatagram: the wire format of an encrypted room (README, "Wire format"): a 16-byte header
// (associated data) + ChaCha20-Poly1305-IETF ciphertext of today's 1-7 TS packets + a 16-byte
// tag. The header's first byte is never 0x47, so a sealed datagram is never taken for TS.
// Pure functions; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace meshcall {

using Key32 = std::array<uint8_t, 32>;

constexpr uint8_t kSealMagic = 0xE5;  // and version 1: another version gets another byte
constexpr std::size_t kSealHeaderSize = 16;
constexpr std::size_t kSealTagSize = 16;
constexpr std::size_t kSealOverhead = kSealHeaderSize + kSealTagSize;
constexpr uint64_t kSealMaxCounter = (uint64_t{1} << 48) - 1;

// magic (and version), sender (its index in the room's peers), epoch (the sender's start:
// wall-clock µs x 256 + a random byte; 8 bytes, big-endian), counter (per key, the nonce; 6
// bytes, big-endian). The receiver is not named: in a "keys" room the key is the pair's.
struct SealHeader {
    uint8_t sender = 0;
    uint64_t epoch = 0;
    uint64_t counter = 0;
};

// The header of a datagram that starts like a sealed one (the magic, long enough to hold a
// tag); nullopt otherwise. Says nothing about authenticity.
std::optional<SealHeader> peek_seal_header(std::span<const uint8_t> datagram);

// Writes header + ciphertext + tag of `plaintext` under `key` into `out`, which must hold
// plaintext.size() + kSealOverhead bytes. Returns the bytes written.
std::size_t seal_datagram(const Key32& key, const SealHeader& header,
                          std::span<const uint8_t> plaintext, std::span<uint8_t> out);

// Decrypts `datagram` (whose header was peeked) into `out` (datagram.size() - kSealOverhead
// bytes). False, with `out` wiped, if it does not authenticate under `key`.
bool open_datagram(const Key32& key, std::span<const uint8_t> datagram, std::span<uint8_t> out);

}  // namespace meshcall
