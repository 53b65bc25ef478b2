// invite: a guest's commands, printed for a person (text) or a program (--json).
#include "client/invite.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "client/guest_commands.hpp"
#include "client/shell_quote.hpp"
#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/room.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

namespace {

// Who the guest is and the port rule, in a sentence or two.
std::string port_rule(const Room& room, std::size_t g) {
    const PeerEntry& p = room.peers[g];
    std::string list;
    if (p.role == PeerRole::viewer) {
        for (std::size_t k = 0; k < room.peers.size(); ++k)
            if (k != g && room.peers[k].sends())
                list += (list.empty() ? "" : ", ") + room.peers[k].name + " (peers[" +
                        std::to_string(k) + "]) " + std::to_string(room.destination(g, k).port());
        return "a viewer receives peers[k]'s stream at its listed port " + std::to_string(p.port) +
               " + k, one stream per port: " + list;
    }
    for (std::size_t r = 0; r < room.peers.size(); ++r)
        if (r != g && room.peers[r].receives())
            list += (list.empty() ? "" : ", ") + room.peers[r].name + " " +
                    (room.destination(r, g).known()
                         ? room.destination(r, g).to_string()
                         : std::string("(no host in the room file: a stock sender cannot reach it)"));
    return "a sender sends from its listed port " + std::to_string(p.port) +
           " (meshcalld accepts only listed address:port pairs) one copy to each peer that "
           "receives (a viewer at its port + " +
           std::to_string(g) + "): " + list;
}

std::string command_line(const GuestCommand& c) {
    if (c.os == "windows") return windows_command_line(c.argv);
    std::string line = posix_command_line(c.argv);
    if (!c.pipe_to.empty()) line += " | " + posix_command_line(c.pipe_to);
    return line;
}

void print_text(const Room& room, const std::string& label, std::size_t g,
                const std::vector<GuestCommand>& commands) {
    const PeerEntry& p = room.peers[g];
    std::printf("# %s: room \"%s\", guest %s (peers[%zu], %s:%u), a %s: %s\n", label.c_str(),
                room.name.c_str(), p.name.c_str(), g, p.host.c_str(), p.port, role_name(p.role),
                p.role == PeerRole::viewer ? "receives only, with stock ffplay/mpv/ffmpeg"
                                           : "sends only, with stock ffmpeg");
    std::printf("# %s.\n", port_rule(room, g).c_str());
    for (const auto& c : commands)
        std::printf("\n# %s\n%s\n", c.comment.c_str(), command_line(c).c_str());
}

nlohmann::json to_json(const Room& room, std::size_t g, const std::vector<GuestCommand>& commands) {
    const PeerEntry& p = room.peers[g];
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : commands) {
        nlohmann::json j = {{"what", c.what}, {"comment", c.comment}, {"argv", c.argv}};
        if (!c.peer.empty()) j["peer"] = c.peer;
        if (c.port) j["port"] = c.port;
        if (!c.os.empty()) j["os"] = c.os;
        if (!c.pipe_to.empty()) j["pipe_to"] = c.pipe_to;
        list.push_back(std::move(j));
    }
    return {{"room", room.name}, {"guest", p.name}, {"role", role_name(p.role)},
            {"host", p.host},    {"port", p.port},  {"rule", port_rule(room, g)},
            {"commands", list}};
}

}  // namespace

int run_invite(const std::string& room_path, const std::string& as, bool json) {
    try {
        const std::string label = file_label(room_path);
        const Room room = load_room(room_path);
        const auto g = static_cast<std::size_t>(find_self(room, as, label));
        const PeerEntry& p = room.peers[g];
        if (p.role == PeerRole::participant)
            throw ConfigError(label + ": --as " + as + ": peers[" + std::to_string(g) + "] (\"" +
                              as + "\") is a participant, not a guest: a participant runs " +
                              "`meshcall join " + room_path + " --as " + as +
                              "`; invite prints commands for a \"viewer\" or a \"sender\"");
        const auto commands =
            p.role == PeerRole::viewer ? viewer_commands(room, g) : sender_commands(room, g);
        if (json)
            std::printf("%s\n", to_json(room, g, commands).dump(2).c_str());
        else
            print_text(room, label, g, commands);
        return kExitOk;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    }
}

}  // namespace meshcall
