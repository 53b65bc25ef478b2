// Room: the shared room file, parsed once and validated into an immutable value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/address.hpp"
#include "config/key32.hpp"
#include "config/stun_servers.hpp"

namespace meshcall {

struct VideoSettings {
    int width = 640;
    int height = 480;
    int fps = 30;
    int bitrate_kbps = 1000;
    int layers = 3;  // sizes encoded (config/video_layers.hpp); 1: the room's size only
};

struct AudioSettings {
    int bitrate_kbps = 32;
};

// What a peer entry is (README, "Guests: stock players and senders").
enum class PeerRole {
    participant,  // meshcalld: sends and receives
    viewer,       // a stock player: receives only, participant k's stream at port + k
    sender,       // a stock ffmpeg sender: sends only (nothing is sent to it)
};
const char* role_name(PeerRole role);

// How the room's datagrams are protected (README, "The room file").
enum class Security {
    none,  // not encrypted: today's wire format, byte for byte
    room,  // one shared secret: whoever has the room file is in
    keys,  // a key pair per participant (pairwise keys): no member can pass for another
};
const char* security_name(Security s);  // "none" | "room" | "keys"

struct PeerEntry {
    std::string name;
    std::string host;  // as written in the file; empty: left out (behind a NAT, not known)
    uint16_t port = 0;
    Address address;  // resolved once, at load; !known() when the host is left out
    PeerRole role = PeerRole::participant;
    std::optional<Key32> public_key;  // X25519; set for every non-plain peer of a "keys" room
    bool plain = false;               // a stock guest in an encrypted room: sends/gets cleartext
    int layer = -1;  // a viewer's video layer (0 = the smallest); -1: the largest

    bool sends() const { return role != PeerRole::viewer; }
    bool receives() const { return role != PeerRole::sender; }
};

struct Room {
    std::string name;
    VideoSettings video;
    AudioSettings audio;
    std::vector<PeerEntry> peers;
    Security security = Security::none;
    std::optional<Key32> secret;  // required for "room"; optional for "keys"; never for "none"
    std::vector<StunServer> stun;  // optional: where to ask for one's public endpoint

    bool encrypted() const { return security != Security::none; }

    // Index into peers of `name`, or -1.
    int index_of(const std::string& name) const;
    // Where peers[from]'s stream goes to reach peers[to] (which receives): its address, or
    // for a viewer its port + from, so that each stock player sees exactly one stream. Not
    // known() for a participant whose host is left out.
    Address destination(std::size_t to, std::size_t from) const;
    // What peers[self] binds: its address, or the wildcard address on its port when its host
    // is left out (the room's family).
    Address bind_address(std::size_t self) const;
    // Upload peers[self] needs at most, in kbit/s: (peers that receive, but self) x (video +
    // audio), each at the room's (top layer's) bitrate.
    int upload_kbps(std::size_t self) const;
};

// Parses and validates a room file. Throws ConfigError ("file: field: problem").
Room load_room(const std::string& path);

// Same, from text already read; `label` names the file in messages.
Room parse_room(const std::string& text, const std::string& label);

// The peer `name` of `room`, or ConfigError naming the file and the choices.
int find_self(const Room& room, const std::string& name, const std::string& label);
// Same, for meshcalld: also a ConfigError when that peer is a guest (a viewer or a sender runs
// stock tools, which `meshcall invite` prints).
int find_participant(const Room& room, const std::string& name, const std::string& label);

}  // namespace meshcall
