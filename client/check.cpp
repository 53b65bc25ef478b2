// check: room file validation and a summary of the call.
#include "client/check.hpp"

#include <cstdio>

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/profile.hpp"
#include "config/room.hpp"

namespace meshcall {

int run_check(const std::string& room_path, const std::string& as_arg) {
    try {
        const std::string label = file_label(room_path);
        const Room room = load_room(room_path);
        std::string as = as_arg;
        if (as.empty()) {
            const Profile profile = load_profile(default_profile_path());
            if (profile.name && room.index_of(*profile.name) >= 0) as = *profile.name;
        }
        const int self = as.empty() ? -1 : find_self(room, as, label);
        std::printf("%s: room \"%s\", %zu participants\n", label.c_str(), room.name.c_str(),
                    room.peers.size());
        std::printf("  video %dx%d @ %d fps, %d kbit/s; audio Opus %d kbit/s\n", room.video.width,
                    room.video.height, room.video.fps, room.video.bitrate_kbps,
                    room.audio.bitrate_kbps);
        for (std::size_t i = 0; i < room.peers.size(); ++i) {
            const PeerEntry& p = room.peers[i];
            std::printf("  %s %-16s %s:%u -> %s\n", static_cast<int>(i) == self ? "*" : " ",
                        p.name.c_str(), p.host.c_str(), p.port, p.address.to_string().c_str());
        }
        if (self >= 0) {
            std::printf(
                "you are %s (*): you send to %zu peers, upload %d kbit/s "
                "((N-1) x (video + audio))\n",
                room.peers[static_cast<std::size_t>(self)].name.c_str(), room.peers.size() - 1,
                room.upload_kbps());
        } else {
            std::printf(
                "each participant uploads %d kbit/s ((N-1) x (video + audio)); "
                "give --as NAME to see the call as one of them\n",
                room.upload_kbps());
        }
        return 0;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return 2;
    }
}

}  // namespace meshcall
