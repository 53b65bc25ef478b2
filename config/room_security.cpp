// Room security: the security level, the room secret, and each peer's public key and "plain".
#include "config/room_security.hpp"

#include <algorithm>
#include <string>

namespace meshcall {

namespace {

std::string peer_path(std::size_t i) {
    return "peers[" + std::to_string(i) + "]";
}

std::string quoted(const std::string& name) {
    return "\"" + name + "\"";
}

void check_secret(const Room& room, const JsonReader& r) {
    if (room.security == Security::none && room.secret)
        r.fail("secret",
               "is set but security is none; add \"security\": \"room\" to encrypt the call "
               "with it, or remove the secret");
    if (room.security == Security::room && !room.secret)
        r.fail("secret",
               "missing: a \"room\" room needs a secret (32 random bytes, base64; "
               "`meshcall new-room` writes one)");
}

void check_plain(const Room& room, std::size_t i, const JsonReader& r) {
    const PeerEntry& p = room.peers[i];
    const bool guest = p.role != PeerRole::participant;
    if (p.plain && !guest)
        r.fail(peer_path(i) + ".plain",
               "only a guest (\"role\": \"viewer\" or \"sender\") can be plain; a meshcall "
               "participant always encrypts");
    if (guest && room.encrypted() && !p.plain)
        r.fail(peer_path(i) + ".plain",
               std::string("a stock guest cannot encrypt or decrypt: mark it \"plain\": true, "
                           "and know that its stream is not private (") +
                   role_name(p.role) + " " + quoted(p.name) + ")");
}

void check_public_key(const Room& room, std::size_t i, const JsonReader& r) {
    const PeerEntry& p = room.peers[i];
    const std::string path = peer_path(i) + ".public_key";
    if (room.security != Security::keys) {
        if (p.public_key)
            r.fail(path, std::string("only a \"keys\" room lists public keys; this room's "
                                     "security is ") +
                             quoted(security_name(room.security)) +
                             " (remove the key, or use \"security\": \"keys\")");
        return;
    }
    if (p.plain) {
        if (p.public_key)
            r.fail(path, "a plain guest neither encrypts nor decrypts; remove its public key");
        return;
    }
    if (!p.public_key)
        r.fail(path,
               "missing: in a \"keys\" room each participant lists its public key (meshcall "
               "keygen prints it)");
    for (std::size_t j = 0; j < i; ++j)
        if (room.peers[j].public_key == p.public_key)
            r.fail(path, "is already the public key of " + peer_path(j) + " (" +
                             quoted(room.peers[j].name) +
                             "); each participant runs `meshcall keygen` for a key of its own");
}

}  // namespace

const char* security_name(Security s) {
    switch (s) {
        case Security::room:
            return "room";
        case Security::keys:
            return "keys";
        case Security::none:
            break;
    }
    return "none";
}

Security parse_security(JsonReader& root) {
    if (!root.has("security")) return Security::none;
    const std::string s = root.get_string("security");
    if (s == "none") return Security::none;
    if (s == "room") return Security::room;
    if (s == "keys") return Security::keys;
    root.fail("security",
              quoted(s) +
                  " is not a security level; use \"room\" (one shared secret), \"keys\" "
                  "(a key pair per participant) or \"none\" (not encrypted)");
}

std::optional<Key32> parse_secret(JsonReader& root) {
    if (!root.has("secret")) return std::nullopt;
    std::string error;
    auto key = key_from_base64(root.get_string("secret"), "a secret", error);
    if (!key) root.fail("secret", error);
    return key;
}

void parse_peer_security(JsonReader& r, PeerEntry& p) {
    if (r.has("plain")) p.plain = r.get_bool("plain");
    if (!r.has("public_key")) return;
    std::string error;
    p.public_key = key_from_base64(r.get_string("public_key"), "a public key", error);
    if (!p.public_key) r.fail(r.path_of("public_key"), error);
    if (std::all_of(p.public_key->begin(), p.public_key->end(), [](uint8_t b) { return b == 0; }))
        r.fail(r.path_of("public_key"),
               "is all zeros, which is no one's public key (meshcall keygen prints yours)");
}

void check_room_security(const Room& room, const JsonReader& r) {
    check_secret(room, r);
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        if (!room.encrypted() && room.peers[i].plain)
            r.fail(peer_path(i) + ".plain",
                   "the room is not encrypted (security is none), so every stream is plain; "
                   "remove \"plain\"");
        check_plain(room, i, r);
        check_public_key(room, i, r);
    }
}

}  // namespace meshcall
