// room_fuzz: libFuzzer target for the room file parser (config/room.cpp) on arbitrary text.
//
// parse_room must either return a Room that obeys the documented rules or throw ConfigError
// naming the file; any other exception, a crash or a sanitizer report is a bug.
//
// parse_room resolves "host" with getaddrinfo. To keep the fuzzer off the DNS resolver, an
// input whose peers name a host that is not a numeric address is rejected before the call
// (the same JSON parser decides what the hosts are, so nothing else can reach getaddrinfo).
#include <netdb.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/room.hpp"

namespace {

const std::string kLabel = "fuzz.json";

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "room_fuzz: %s %s\n", what, detail.c_str());
    std::abort();
}

// True when `host` (as getaddrinfo will see it: up to the first NUL) is an address literal.
bool is_numeric_host(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const int rc = getaddrinfo(host.c_str(), "1", &hints, &list);
    if (list) freeaddrinfo(list);
    return rc == 0;
}

// False if parse_room could call getaddrinfo with a name that is not a literal.
bool hosts_are_literals(const std::string& text) {
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return true;  // rejected before any peer
    auto peers = doc.find("peers");
    if (peers == doc.end() || !peers->is_array()) return true;
    for (const auto& peer : *peers) {
        if (!peer.is_object()) continue;
        auto host = peer.find("host");
        if (host == peer.end() || !host->is_string()) continue;
        if (!is_numeric_host(host->get<std::string>())) return false;
    }
    return true;
}

// The security rules (README, "The room file"): a secret only when encrypted and always in a
// "room" room; public keys only in a "keys" room, on every participant, none twice; "plain"
// only, and always, on the guests of an encrypted room.
void check_security(const meshcall::Room& room) {
    using meshcall::Security;
    const std::string name = meshcall::security_name(room.security);
    if (name != "none" && name != "room" && name != "keys") fail("security name", name);
    if (room.encrypted() != (room.security != Security::none)) fail("encrypted()");
    if (room.security == Security::none && room.secret) fail("a secret in a none room");
    if (room.security == Security::room && !room.secret) fail("a room room without a secret");
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        const auto& p = room.peers[i];
        const bool guest = p.role != meshcall::PeerRole::participant;
        if (p.plain && (!guest || !room.encrypted())) fail("plain on", p.name);
        if (guest && room.encrypted() && !p.plain) fail("a guest that is not plain", p.name);
        const bool needs_key = room.security == Security::keys && !p.plain;
        if (p.public_key.has_value() != needs_key) fail("public key on", p.name);
        for (std::size_t j = 0; j < i; ++j)
            if (p.public_key && room.peers[j].public_key == p.public_key)
                fail("duplicate public key", p.name);
        if (p.public_key) {
            std::string error;
            const auto back =
                meshcall::key_from_base64(meshcall::key_to_base64(*p.public_key), "a key", error);
            if (!back || *back != *p.public_key) fail("public key base64 round trip", p.name);
        }
    }
}

void check_room(const meshcall::Room& room) {
    using meshcall::is_valid_name;
    if (!is_valid_name(room.name)) fail("accepted room name", room.name);
    const auto& v = room.video;
    if (v.width < 16 || v.width > 3840 || v.width % 2 || v.height < 16 || v.height > 2160 ||
        v.height % 2 || v.fps < 1 || v.fps > 60 || v.bitrate_kbps < 50 || v.bitrate_kbps > 20000)
        fail("accepted video settings out of range");
    if (room.audio.bitrate_kbps < 6 || room.audio.bitrate_kbps > 510)
        fail("accepted audio bitrate out of range");
    if (room.peers.size() < 2 || room.peers.size() > 16) fail("accepted peer count");
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        const auto& p = room.peers[i];
        if (!is_valid_name(p.name)) fail("accepted peer name", p.name);
        if (p.port == 0 || p.address.port() != p.port) fail("peer port", p.address.to_string());
        if (p.address.family() != AF_INET && p.address.family() != AF_INET6)
            fail("peer address family");
        if (p.address.family() != room.peers[0].address.family()) fail("mixed address families");
        if (room.index_of(p.name) != static_cast<int>(i)) fail("duplicate name", p.name);
        for (std::size_t j = 0; j < i; ++j)
            if (room.peers[j].address == p.address)
                fail("duplicate address", p.address.to_string());
        (void)p.address.to_string();
        if (meshcall::find_self(room, p.name, kLabel) != static_cast<int>(i)) fail("find_self");
    }
    std::size_t receivers = 0, participants = 0;
    for (const auto& p : room.peers) {
        receivers += p.receives();
        participants += p.role == meshcall::PeerRole::participant;
    }
    if (participants == 0) fail("a room of guests only");
    check_security(room);
    if (room.upload_kbps(0) != static_cast<int>(receivers - room.peers[0].receives()) *
                                   (v.bitrate_kbps + room.audio.bitrate_kbps))
        fail("upload_kbps");
    // A viewer's port + k, for every peer k that sends to it, is nobody's address.
    for (std::size_t i = 0; i < room.peers.size(); ++i)
        for (std::size_t k = 0; k < room.peers.size(); ++k)
            if (k != i && room.peers[i].role == meshcall::PeerRole::viewer && room.peers[k].sends())
                for (std::size_t j = 0; j < room.peers.size(); ++j)
                    if (j != i && room.peers[j].address == room.destination(i, k))
                        fail("viewer port collides");
    // A name nobody has (names are at most 64 characters).
    try {
        (void)meshcall::find_self(room, std::string(65, 'x'), kLabel);
        fail("find_self found a name nobody has");
    } catch (const meshcall::ConfigError& e) {
        if (std::string(e.what()).rfind(kLabel + ": ", 0) != 0)
            fail("error without the file", e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (!hosts_are_literals(text)) return -1;  // would reach the resolver: not in the corpus
    try {
        check_room(meshcall::parse_room(text, kLabel));
    } catch (const meshcall::ConfigError& e) {
        // Expected for bad input; the message must name the file (README: "file: field: problem").
        if (std::string(e.what()).rfind(kLabel + ": ", 0) != 0)
            fail("error without the file", e.what());
    }
    return 0;
}
