// Room: parsing and validation of the room file (README, "The room file").
#include "config/room.hpp"

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/room_security.hpp"
#include "config/video_layers.hpp"

namespace meshcall {

namespace {

constexpr std::size_t kMinPeers = 2;
constexpr std::size_t kMaxPeers = 16;

VideoSettings parse_video(JsonReader& parent) {
    VideoSettings v;
    if (!parent.has("video")) return v;
    JsonReader r(parent.get_object("video"), parent.label(), parent.path_of("video"));
    if (r.has("width")) v.width = static_cast<int>(r.get_int("width", 16, 3840, "a width"));
    if (r.has("height")) v.height = static_cast<int>(r.get_int("height", 16, 2160, "a height"));
    if (r.has("fps")) v.fps = static_cast<int>(r.get_int("fps", 1, 60, "a frame rate"));
    if (r.has("bitrate_kbps"))
        v.bitrate_kbps =
            static_cast<int>(r.get_int("bitrate_kbps", 50, 20000, "a video bitrate in kbit/s"));
    if (r.has("layers"))
        v.layers = static_cast<int>(r.get_int("layers", 1, 3, "a number of video layers"));
    if (v.width % 2)
        r.fail(r.path_of("width"), std::to_string(v.width) + " is odd; use an even width");
    if (v.height % 2)
        r.fail(r.path_of("height"), std::to_string(v.height) + " is odd; use an even height");
    r.finish();
    return v;
}

AudioSettings parse_audio(JsonReader& parent) {
    AudioSettings a;
    if (!parent.has("audio")) return a;
    JsonReader r(parent.get_object("audio"), parent.label(), parent.path_of("audio"));
    if (r.has("bitrate_kbps"))
        a.bitrate_kbps =
            static_cast<int>(r.get_int("bitrate_kbps", 6, 510, "an audio bitrate in kbit/s"));
    r.finish();
    return a;
}

// `encrypted`: a participant's host may be left out (an address learned from its
// authenticated datagrams; README, "Calling over the internet").
PeerEntry parse_peer(const nlohmann::json& value, const std::string& label,
                     const std::string& path, bool encrypted) {
    JsonReader r(value, label, path);
    PeerEntry p;
    p.name = r.get_string("name");
    if (!is_valid_name(p.name))
        r.fail(r.path_of("name"), "\"" + p.name + "\" is not a valid name; " + name_rule());
    if (r.has("host") || !encrypted) {
        p.host = r.get_string("host");
        if (p.host.empty() || p.host.size() > 253)
            r.fail(r.path_of("host"), "must be an IPv4/IPv6 address or a DNS name");
    }
    p.port = static_cast<uint16_t>(r.get_int("port", 1, 65535, "a port"));
    if (r.has("role")) {
        const std::string role = r.get_string("role");
        if (role == "participant")
            p.role = PeerRole::participant;
        else if (role == "viewer")
            p.role = PeerRole::viewer;
        else if (role == "sender")
            p.role = PeerRole::sender;
        else
            r.fail(r.path_of("role"),
                   "\"" + role +
                       "\" is not a role; use \"viewer\" (a stock player), \"sender\" (a stock "
                       "ffmpeg sender) or leave it out (a meshcall participant)");
    }
    if (r.has("layer")) {
        p.layer = static_cast<int>(r.get_int("layer", 0, 2, "a video layer (0 = the smallest)"));
        if (p.role != PeerRole::viewer)
            r.fail(r.path_of("layer"),
                   "only a viewer (a stock player) is given a fixed layer; a participant asks "
                   "for the one its window needs");
    }
    parse_peer_security(r, p);
    r.finish();
    if (p.host.empty()) {
        if (p.role != PeerRole::participant || p.plain)
            r.fail(r.path_of("host"),
                   "is missing; only a meshcall participant's host may be left out (its address "
                   "is learned from its encrypted datagrams), not a stock guest's");
        return p;
    }
    Resolved res = resolve_udp(p.host, p.port);
    if (!res.address) r.fail(r.path_of("host"), "peer \"" + p.name + "\": " + res.error);
    p.address = *res.address;
    return p;
}

// A viewer's ports: one per peer that sends to it (port + that peer's index). None may be past
// 65535 or be another peer's address.
void check_viewer_ports(const Room& room, std::size_t v, JsonReader& r) {
    const PeerEntry& viewer = room.peers[v];
    for (std::size_t k = 0; k < room.peers.size(); ++k) {
        if (k == v || !room.peers[k].sends()) continue;
        const std::string path = "peers[" + std::to_string(v) + "].port";
        if (viewer.port + k > 65535)
            r.fail(path, "a viewer receives peers[" + std::to_string(k) + "] (\"" +
                             room.peers[k].name + "\") at port + " + std::to_string(k) + " = " +
                             std::to_string(viewer.port + k) + ", which is not a port");
        const Address a = room.destination(v, k);
        for (std::size_t j = 0; j < room.peers.size(); ++j)
            if (j != v && room.peers[j].address == a)
                r.fail(path, "a viewer receives peers[" + std::to_string(k) + "] (\"" +
                                 room.peers[k].name + "\") at port + " + std::to_string(k) + ", " +
                                 a.to_string() + ", which is already the address of peers[" +
                                 std::to_string(j) + "] (\"" + room.peers[j].name +
                                 "\"); leave the viewer " + std::to_string(room.peers.size()) +
                                 " ports of its own");
    }
}

}  // namespace

const char* role_name(PeerRole role) {
    switch (role) {
        case PeerRole::viewer:
            return "viewer";
        case PeerRole::sender:
            return "sender";
        case PeerRole::participant:
            break;
    }
    return "participant";
}

Address Room::bind_address(std::size_t self) const {
    if (peers[self].address.known()) return peers[self].address;
    int family = AF_INET;
    for (const auto& p : peers)
        if (p.address.known()) family = p.address.family();
    Address a;
    a.storage.ss_family = static_cast<sa_family_t>(family);
    a.length = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    a.set_port(peers[self].port);
    return a;
}

Address Room::destination(std::size_t to, std::size_t from) const {
    const PeerEntry& p = peers[to];
    if (p.role != PeerRole::viewer) return p.address;
    Address a = p.address;
    a.set_port(static_cast<uint16_t>(p.port + from));
    return a;
}

int Room::index_of(const std::string& who) const {
    for (std::size_t i = 0; i < peers.size(); ++i)
        if (peers[i].name == who) return static_cast<int>(i);
    return -1;
}

int Room::upload_kbps(std::size_t self) const {
    int receivers = 0;
    for (std::size_t i = 0; i < peers.size(); ++i) receivers += i != self && peers[i].receives();
    return receivers * (video.bitrate_kbps + audio.bitrate_kbps);
}

Room load_room(const std::string& path) {
    const std::string label = file_label(path);
    return parse_room(read_config_file(path, label), label);
}

Room parse_room(const std::string& text, const std::string& label) {
    const nlohmann::json doc = parse_json_text(text, label);
    JsonReader r(doc, label, "");
    Room room;
    room.name = r.get_string("room");
    if (!is_valid_name(room.name))
        r.fail("room", "\"" + room.name + "\" is not a valid room name; " + name_rule());
    room.video = parse_video(r);
    room.audio = parse_audio(r);
    room.security = parse_security(r);
    room.secret = parse_secret(r);
    room.stun = parse_stun_servers(r);
    const auto& peers = r.get_array("peers");
    if (peers.size() < kMinPeers || peers.size() > kMaxPeers)
        r.fail("peers",
               "has " + std::to_string(peers.size()) + " entries; a call has 2 to 16 people");
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const std::string path = "peers[" + std::to_string(i) + "]";
        PeerEntry p = parse_peer(peers[i], label, path, room.encrypted());
        for (std::size_t j = 0; j < room.peers.size(); ++j) {
            if (room.peers[j].name == p.name)
                r.fail(path + ".name", "\"" + p.name + "\" is already the name of peers[" +
                                           std::to_string(j) + "]; names must be unique");
            if (room.peers[j].address == p.address)
                r.fail(path + ".port", p.address.to_string() + " is already the address of peers[" +
                                           std::to_string(j) + "] (\"" + room.peers[j].name +
                                           "\"); each peer needs its own address and port");
            if (room.peers[j].address.known() && p.address.known() &&
                room.peers[j].address.family() != p.address.family())
                r.fail(path + ".host", "\"" + p.host + "\" is " +
                                           (p.address.family() == AF_INET ? "IPv4" : "IPv6") +
                                           " but peers[" + std::to_string(j) +
                                           "] is not; use one address family for the whole room");
        }
        room.peers.push_back(std::move(p));
    }
    const std::size_t layers = video_layers(room.video).size();
    for (std::size_t i = 0; i < room.peers.size(); ++i)
        if (room.peers[i].layer >= static_cast<int>(layers))
            r.fail("peers[" + std::to_string(i) + "].layer",
                   std::to_string(room.peers[i].layer) + " is not one of this room's " +
                       std::to_string(layers) + " video layers (0 to " +
                       std::to_string(layers - 1) + ")");
    std::size_t participants = 0;
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        participants += room.peers[i].role == PeerRole::participant;
        if (room.peers[i].role == PeerRole::viewer) check_viewer_ports(room, i, r);
    }
    if (participants == 0)
        r.fail("peers",
               "every entry is a guest (a viewer or a sender); a call needs at least one "
               "meshcall participant (an entry with no \"role\")");
    check_room_security(room, r);
    r.finish();
    return room;
}

int find_self(const Room& room, const std::string& name, const std::string& label) {
    int i = room.index_of(name);
    if (i >= 0) return i;
    std::string names;
    for (const auto& p : room.peers) names += (names.empty() ? "" : ", ") + p.name;
    throw ConfigError(label + ": --as " + name + ": no peer of that name in room \"" + room.name +
                      "\" (peers: " + names + ")");
}

int find_participant(const Room& room, const std::string& name, const std::string& label) {
    const int i = find_self(room, name, label);
    const PeerEntry& p = room.peers[static_cast<std::size_t>(i)];
    if (p.role != PeerRole::participant)
        throw ConfigError(label + ": peers[" + std::to_string(i) + "] (\"" + name + "\") is a " +
                          role_name(p.role) + ": a guest runs stock ffmpeg/mpv, not meshcalld; " +
                          "`meshcall invite " + label + " --as " + name + "` prints its commands");
    return i;
}

}  // namespace meshcall
