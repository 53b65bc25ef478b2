// SealedDatagram: the wire format of an encrypted room (README, "Wire format"): a header
// (associated data) + ChaCha20-Poly1305-IETF ciphertext of today's 1-7 TS packets + a 16-byte
// tag. The header is long (16 bytes: it names the sender's epoch) or short (6 bytes: the epoch
// is the one the receiver last took, and only the counter's low 32 bits are sent). Its first
// byte is never 0x47, so a sealed datagram is never taken for TS. Pure functions; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace meshcall {

using Key32 = std::array<uint8_t, 32>;

// Magic bytes, version 1 (another version gets other bytes).
constexpr uint8_t kSealMagic = 0xE5;       // a long header
constexpr uint8_t kSealShortMagic = 0xE4;  // a short header
constexpr std::size_t kSealHeaderSize = 16;
constexpr std::size_t kSealShortHeaderSize = 6;
constexpr std::size_t kSealTagSize = 16;
constexpr std::size_t kSealOverhead = kSealHeaderSize + kSealTagSize;  // the most a seal adds
constexpr std::size_t kSealShortOverhead = kSealShortHeaderSize + kSealTagSize;
constexpr uint64_t kSealMaxCounter = (uint64_t{1} << 48) - 1;

// Long: magic, sender (its index in the room's peers), epoch (the sender's start: wall-clock
// µs x 256 + a random byte; 8 bytes, big-endian), counter (per key, the nonce; 6 bytes,
// big-endian). Short: magic, sender, the counter's low 32 bits (big-endian); the receiver
// takes the full counter nearest its newest (ReplayWindow::expand), and a wrong guess cannot
// authenticate (the full counter is the nonce). The receiver is not named: in a "keys" room
// the key is the pair's.
struct SealHeader {
    uint8_t sender = 0;
    uint64_t epoch = 0;    // 0 in a peeked short header
    uint64_t counter = 0;  // a peeked short header: the low 32 bits only
    bool names_epoch = true;  // false: a short header
};

// What sealing adds with this header: kSealOverhead or kSealShortOverhead.
constexpr std::size_t seal_overhead(const SealHeader& h) {
    return h.names_epoch ? kSealOverhead : kSealShortOverhead;
}

// The header of a datagram that starts like a sealed one (a magic, long enough to hold its
// header and a tag); nullopt otherwise. Says nothing about authenticity.
std::optional<SealHeader> peek_seal_header(std::span<const uint8_t> datagram);

// Writes header + ciphertext + tag of `plaintext` under `key` into `out`, which must hold
// plaintext.size() + seal_overhead(header) bytes. `header.counter` is the full counter.
// Returns the bytes written.
std::size_t seal_datagram(const Key32& key, const SealHeader& header,
                          std::span<const uint8_t> plaintext, std::span<uint8_t> out);

// Decrypts `datagram`, whose header was peeked, into `out` (the datagram's size less
// seal_overhead() bytes); `counter` is the full counter (a long header's own, a short one's
// expanded). False, with `out` wiped, if it does not authenticate under `key` and `counter`.
bool open_datagram(const Key32& key, std::span<const uint8_t> datagram, uint64_t counter,
                   std::span<uint8_t> out);

}  // namespace meshcall
