// new-room: a room file from the command line, with the room's defaults written out.
#include "client/new_room.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <optional>

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/private_file.hpp"
#include "config/room.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

namespace {

using Json = nlohmann::ordered_json;

// One --peer/--viewer/--sender value.
struct PeerSpec {
    std::string name;
    std::string host;
    long long port = 0;
    PeerRole role = PeerRole::participant;
};

[[noreturn]] void bad_spec(const std::string& option, const std::string& value,
                           const std::string& problem) {
    throw ConfigError(option + " \"" + value + "\": " + problem +
                      "; write NAME=HOST:PORT (IPv6: NAME=[::1]:41310)");
}

// NAME=HOST:PORT, or NAME=[IPv6]:PORT. The values themselves are checked by parse_room.
PeerSpec parse_spec(const std::string& option, const std::string& value, PeerRole role) {
    PeerSpec s;
    s.role = role;
    const auto eq = value.find('=');
    if (eq == std::string::npos) bad_spec(option, value, "no '='");
    s.name = value.substr(0, eq);
    std::string rest = value.substr(eq + 1);
    std::string port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find("]:");
        if (close == std::string::npos)
            bad_spec(option, value, "no \"]:PORT\" after the IPv6 address");
        s.host = rest.substr(1, close - 1);
        port = rest.substr(close + 2);
    } else {
        const auto colon = rest.find(':');
        if (colon == std::string::npos) bad_spec(option, value, "no ':PORT'");
        if (rest.find(':', colon + 1) != std::string::npos)
            bad_spec(option, value, "an IPv6 address goes in brackets");
        s.host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), s.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size())
        bad_spec(option, value, "\"" + port + "\" is not a port");
    return s;
}

std::vector<PeerSpec> all_specs(const NewRoomArgs& a) {
    std::vector<PeerSpec> specs;
    for (const auto& v : a.peers) specs.push_back(parse_spec("--peer", v, PeerRole::participant));
    for (const auto& v : a.viewers) specs.push_back(parse_spec("--viewer", v, PeerRole::viewer));
    for (const auto& v : a.senders) specs.push_back(parse_spec("--sender", v, PeerRole::sender));
    return specs;
}

Security security_of(const std::string& s) {
    if (s == "none") return Security::none;
    if (s == "keys") return Security::keys;
    return Security::room;
}

// {"a": 1, "b": 2} on one line, with a space after each ':' and ','.
std::string one_line(const Json& object) {
    std::string text = "{ ";
    for (const auto& [key, value] : object.items())
        text += (text.size() > 2 ? ", " : "") + Json(key).dump() + ": " + value.dump();
    return text + " }";
}

Json peer_json(const PeerSpec& s, bool encrypted) {
    Json p = Json::object({{"name", s.name}, {"host", s.host}, {"port", s.port}});
    if (s.role != PeerRole::participant) p["role"] = role_name(s.role);
    if (s.role != PeerRole::participant && encrypted) p["plain"] = true;
    return p;
}

// The room file's text. `stand_in_keys`: give each participant a random public key, so that
// a "keys" room (whose real keys nobody knows yet) can be checked for every other mistake.
std::string room_text(const NewRoomArgs& a, const std::vector<PeerSpec>& specs,
                      const std::optional<Key32>& secret, bool stand_in_keys) {
    const Security security = security_of(a.security);
    const VideoSettings v;
    const AudioSettings au;
    std::string text = "{\n  \"room\": " + Json(a.room).dump() + ",\n";
    text += "  \"security\": " + Json(security_name(security)).dump() + ",\n";
    if (secret) text += "  \"secret\": " + Json(key_to_base64(*secret)).dump() + ",\n";
    text += "  \"video\": " +
            one_line(Json::object({{"width", v.width},
                                   {"height", v.height},
                                   {"fps", v.fps},
                                   {"bitrate_kbps", v.bitrate_kbps}})) +
            ",\n";
    text += "  \"audio\": " + one_line(Json::object({{"bitrate_kbps", au.bitrate_kbps}})) + ",\n";
    text += "  \"peers\": [\n";
    for (std::size_t i = 0; i < specs.size(); ++i) {
        Json p = peer_json(specs[i], security != Security::none);
        if (stand_in_keys && specs[i].role == PeerRole::participant)
            p["public_key"] = key_to_base64(random_key32());
        text += "    " + one_line(p) + (i + 1 < specs.size() ? ",\n" : "\n");
    }
    return text + "  ]\n}\n";
}

void print_next_steps(const std::string& path, const Room& room) {
    std::string plain;
    for (const auto& p : room.peers)
        if (p.plain) plain += (plain.empty() ? "" : ", ") + p.name;
    if (room.security == Security::keys)
        std::fprintf(stderr,
                     "meshcall: next: each participant runs `meshcall keygen` and adds the public "
                     "key it prints to its entry as \"public_key\"; then `meshcall check %s`\n",
                     path.c_str());
    else
        std::fprintf(stderr, "meshcall: next: `meshcall check %s`\n", path.c_str());
    if (room.secret)
        std::fprintf(stderr,
                     "meshcall: send the file to each participant privately: it holds the room's "
                     "secret, and whoever has it is in\n");
    else
        std::fprintf(stderr,
                     "meshcall: this room is NOT encrypted: anyone on the path sees and hears "
                     "the call\n");
    if (!plain.empty())
        std::fprintf(stderr, "meshcall: plain guests (not encrypted, not private): %s\n",
                     plain.c_str());
}

void print_summary(const std::string& label, const Room& room) {
    std::size_t guests = 0;
    for (const auto& p : room.peers) guests += p.role != PeerRole::participant;
    std::printf("%s: room \"%s\", %zu participants, %zu guests, security %s (mode 0600)\n",
                label.c_str(), room.name.c_str(), room.peers.size() - guests, guests,
                security_name(room.security));
}

}  // namespace

int run_new_room(const NewRoomArgs& a) {
    try {
        const std::string label = file_label(a.path);
        const std::vector<PeerSpec> specs = all_specs(a);
        const Security security = security_of(a.security);
        std::optional<Key32> secret;
        if (security != Security::none) secret = random_key32();
        const bool keys = security == Security::keys;
        const Room room = parse_room(room_text(a, specs, secret, keys), label);
        write_private_file(a.path, room_text(a, specs, secret, false), a.force,
                           "choose another name, or replace it with --force");
        print_summary(label, room);
        print_next_steps(a.path, room);
        return kExitOk;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    }
}

}  // namespace meshcall
