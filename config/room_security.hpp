// Room security: reading and checking the room file's "security", "secret", and each peer's
// "public_key" and "plain" (README, "The room file"). Used by config/room.cpp only.
#pragma once

#include <optional>

#include "config/json_reader.hpp"
#include "config/room.hpp"

namespace meshcall {

// "security" of the top-level object (absent: none).
Security parse_security(JsonReader& root);
// "secret" of the top-level object, if present: base64 of 32 bytes.
std::optional<Key32> parse_secret(JsonReader& root);
// A peer's "public_key" and "plain", read as values; whether they fit the room is checked
// later, by check_room_security.
void parse_peer_security(JsonReader& peer, PeerEntry& p);
// The rules that join the room's level to its peers: a secret only in an encrypted room and
// always in a "room" room; public keys only, and for every participant, in a "keys" room, none
// twice; "plain" only on a guest of an encrypted room, and there required.
void check_room_security(const Room& room, const JsonReader& root);

}  // namespace meshcall
