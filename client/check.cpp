// check: room file validation and a summary of the call.
#include "client/check.hpp"

#include <sys/stat.h>

#include <cstdio>

#include "client/reachability.hpp"
#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/private_file.hpp"
#include "config/profile.hpp"
#include "config/room.hpp"

namespace meshcall {

namespace {

// What the room's security level means for the people in the call. Never a key or the secret.
const char* security_meaning(Security s) {
    switch (s) {
        case Security::room:
            return "every datagram encrypted and authenticated; whoever has this file is in";
        case Security::keys:
            return "pairwise keys: no member can pass for another";
        case Security::none:
            break;
    }
    return "NOT encrypted: anyone on the path sees and hears the call";
}

void print_security(const Room& room) {
    std::printf("  security: %s (%s)\n", security_name(room.security),
                security_meaning(room.security));
    std::string plain;
    for (const auto& p : room.peers)
        if (p.plain) plain += (plain.empty() ? "" : ", ") + p.name;
    if (!plain.empty())
        std::printf("  unencrypted (plain guests, their streams are not private): %s\n",
                    plain.c_str());
}

// A file holding the room's secret should be the owner's alone, as a private key is.
void warn_if_readable(const std::string& path, const Room& room) {
    struct stat st {};
    if (!room.secret || stat(path.c_str(), &st) != 0 || (st.st_mode & 044) == 0) return;
    std::fprintf(
        stderr,
        "meshcall: warning: %s is readable by group or others (mode %s) and holds the room's "
        "secret: chmod 600 %s\n",
        path.c_str(), mode_text(st.st_mode).c_str(), path.c_str());
}

}  // namespace

int run_check(const std::string& room_path, const std::string& as_arg, bool probe) {
    try {
        const std::string label = file_label(room_path);
        const Room room = load_room(room_path);
        std::string as = as_arg;
        if (as.empty()) {
            const Profile profile = load_profile(default_profile_path());
            if (profile.name && room.index_of(*profile.name) >= 0) as = *profile.name;
        }
        const int self = as.empty() ? -1 : find_self(room, as, label);
        std::size_t viewers = 0, senders = 0;
        for (const auto& p : room.peers) {
            viewers += p.role == PeerRole::viewer;
            senders += p.role == PeerRole::sender;
        }
        std::string guests;
        if (viewers)
            guests += ", " + std::to_string(viewers) + " viewer" + (viewers > 1 ? "s" : "");
        if (senders)
            guests += ", " + std::to_string(senders) + " stock sender" + (senders > 1 ? "s" : "");
        std::printf("%s: room \"%s\", %zu participants%s\n", label.c_str(), room.name.c_str(),
                    room.peers.size() - viewers - senders, guests.c_str());
        std::printf("  video %dx%d @ %d fps, %d kbit/s; audio Opus %d kbit/s\n", room.video.width,
                    room.video.height, room.video.fps, room.video.bitrate_kbps,
                    room.audio.bitrate_kbps);
        print_security(room);
        warn_if_readable(room_path, room);
        std::size_t receivers = 0;
        for (std::size_t i = 0; i < room.peers.size(); ++i) {
            const PeerEntry& p = room.peers[i];
            receivers += p.receives();
            std::string role;
            if (p.role == PeerRole::viewer) {
                role = "  viewer: peers[k]'s stream at port + k";
                for (std::size_t k = 0; k < room.peers.size(); ++k)
                    if (k != i && room.peers[k].sends())
                        role += (role.back() == 'k' ? " (" : ", ") + room.peers[k].name + " " +
                                std::to_string(room.destination(i, k).port());
                role += ")";
            } else if (p.role == PeerRole::sender) {
                role = "  sender: sends only";
            }
            if (p.plain) role += ", plain: not encrypted";
            if (p.address.known())
                std::printf("  %s %-16s %s:%u -> %s%s\n", static_cast<int>(i) == self ? "*" : " ",
                            p.name.c_str(), p.host.c_str(), p.port, p.address.to_string().c_str(),
                            role.c_str());
            else
                std::printf("  %s %-16s (no host: learned from its datagrams) port %u%s\n",
                            static_cast<int>(i) == self ? "*" : " ", p.name.c_str(), p.port,
                            role.c_str());
        }
        if (self >= 0) {
            const auto me = static_cast<std::size_t>(self);
            const PeerEntry& p = room.peers[me];
            if (p.role == PeerRole::participant)
                std::printf(
                    "you are %s (*): you send to %zu peers, upload %d kbit/s "
                    "((receivers) x (video + audio))\n",
                    p.name.c_str(), receivers - 1, room.upload_kbps(me));
            else
                std::printf(
                    "you are %s (*), a %s: `meshcall invite %s --as %s` prints your stock "
                    "ffmpeg/mpv commands\n",
                    p.name.c_str(), role_name(p.role), room_path.c_str(), p.name.c_str());
        } else {
            std::printf(
                "each participant uploads %d kbit/s ((receivers) x (video + audio)); "
                "give --as NAME to see the call as one of them\n",
                room.upload_kbps(room.peers.size()) -
                    (room.video.bitrate_kbps + room.audio.bitrate_kbps));
        }
        if (probe) {
            if (self >= 0)
                print_reachability(room.peers[static_cast<std::size_t>(self)].port, room.stun);
            else
                std::printf("probe: give --as NAME to ask the router about that peer's port\n");
        }
        return 0;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return 2;
    }
}

}  // namespace meshcall
