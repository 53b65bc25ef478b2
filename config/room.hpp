// Room: the shared room file, parsed once and validated into an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/address.hpp"

namespace meshcall {

struct VideoSettings {
    int width = 640;
    int height = 480;
    int fps = 30;
    int bitrate_kbps = 1000;
};

struct AudioSettings {
    int bitrate_kbps = 32;
};

struct PeerEntry {
    std::string name;
    std::string host;  // as written in the file
    uint16_t port = 0;
    Address address;  // resolved once, at load
};

struct Room {
    std::string name;
    VideoSettings video;
    AudioSettings audio;
    std::vector<PeerEntry> peers;

    // Index into peers of `name`, or -1.
    int index_of(const std::string& name) const;
    // Upload this participant needs, in kbit/s: (N-1) x (video + audio).
    int upload_kbps() const;
};

// Parses and validates a room file. Throws ConfigError ("file: field: problem").
Room load_room(const std::string& path);

// Same, from text already read; `label` names the file in messages.
Room parse_room(const std::string& text, const std::string& label);

// The peer `name` of `room`, or ConfigError naming the file and the choices.
int find_self(const Room& room, const std::string& name, const std::string& label);

}  // namespace meshcall
