// CallKeys: the keys of an encrypted room (README, "Security"), derived with libsodium.
// - "room": each sender's key comes from the room secret, the room's and the sender's names and
//   the sender's epoch (random per start, so a restarted daemon never reuses a nonce under an
//   old key); one ciphertext serves every receiver, and any member can pass for any other.
// - "keys": each pair of peers has two direction keys from an X25519 key exchange (crypto_kx),
//   each mixed with the room secret (when there is one), the room's name and the sender's epoch;
//   only the two ends of a pair can seal for it.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/sealed_datagram.hpp"

namespace meshcall {

// Calls sodium_init() once (thread-safe); throws std::runtime_error if libsodium cannot start.
void init_crypto();

// This start's epoch: wall-clock µs x 256 + a random byte. A restart's epoch is later (on a
// sane clock), which is how a receiver tells a restart from a replay of an older start.
uint64_t new_epoch();

Key32 room_sender_key(const Key32& secret, std::string_view room, std::string_view sender,
                      uint64_t epoch);

struct DirectionKeys {
    Key32 to_peer{};    // what I seal for the peer
    Key32 from_peer{};  // what the peer seals for me
};
// crypto_kx session keys between me and a peer (the lower public key plays the client).
// nullopt if the peer's public key is unusable (crypto_kx refuses it).
std::optional<DirectionKeys> direction_keys(const Key32& my_secret, const Key32& my_public,
                                            const Key32& peer_public);

// One sender epoch's key on one direction.
Key32 pair_epoch_key(const Key32& direction, const std::optional<Key32>& secret,
                     std::string_view room, uint64_t epoch);

}  // namespace meshcall
