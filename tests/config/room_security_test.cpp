// Tests config/room's security fields: "security", "secret", each peer's "public_key" and
// "plain", and their errors (config/room_security.cpp).
#include <doctest/doctest.h>

#include "config/room.hpp"
#include "tests/config/room_test_support.hpp"

using meshcall::Key32;
using meshcall::PeerRole;
using meshcall::Room;
using meshcall::Security;
using namespace room_test;

namespace {

Key32 key(uint8_t fill) {
    Key32 k{};
    k.fill(fill);
    k[0] = 0x40;  // never all zeros
    return k;
}

std::string b64(uint8_t fill) {
    return meshcall::key_to_base64(key(fill));
}

json room_room() {
    json doc = good_room();
    doc["security"] = "room";
    doc["secret"] = b64(7);
    return doc;
}

json keys_room() {
    json doc = good_room();
    doc["security"] = "keys";
    for (std::size_t i = 0; i < doc["peers"].size(); ++i)
        doc["peers"][i]["public_key"] = b64(static_cast<uint8_t>(i + 1));
    return doc;
}

// alice, bob, and tv (a viewer at 41320) and cam (a sender), both plain.
json room_with_guests(json doc) {
    doc["peers"][2] = peer("tv", "127.0.0.1", 41320);
    doc["peers"][2]["role"] = "viewer";
    doc["peers"][2]["plain"] = true;
    doc["peers"][3] = peer("cam", "127.0.0.1", 41330);
    doc["peers"][3]["role"] = "sender";
    doc["peers"][3]["plain"] = true;
    return doc;
}

}  // namespace

TEST_CASE("room security: absent is none, unencrypted, no secret, no keys") {
    const Room room = meshcall::parse_room(good_room().dump(), kLabel);
    CHECK(room.security == Security::none);
    CHECK(!room.encrypted());
    CHECK(!room.secret);
    for (const auto& p : room.peers) {
        CHECK(!p.public_key);
        CHECK(!p.plain);
    }
    json doc = good_room();
    doc["security"] = "none";
    CHECK(meshcall::parse_room(doc.dump(), kLabel).security == Security::none);
}

TEST_CASE("room security: names") {
    CHECK(std::string(meshcall::security_name(Security::none)) == "none");
    CHECK(std::string(meshcall::security_name(Security::room)) == "room");
    CHECK(std::string(meshcall::security_name(Security::keys)) == "keys");
}

TEST_CASE("room security: a \"room\" room reads its 32-byte secret") {
    const Room room = meshcall::parse_room(room_room().dump(), kLabel);
    CHECK(room.security == Security::room);
    CHECK(room.encrypted());
    REQUIRE(room.secret);
    CHECK(*room.secret == key(7));
}

TEST_CASE("room security: a \"keys\" room reads each public key, with or without a secret") {
    json doc = keys_room();
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.security == Security::keys);
    CHECK(room.encrypted());
    CHECK(!room.secret);
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        REQUIRE(room.peers[i].public_key);
        CHECK(*room.peers[i].public_key == key(static_cast<uint8_t>(i + 1)));
    }
    doc["secret"] = b64(9);
    CHECK(*meshcall::parse_room(doc.dump(), kLabel).secret == key(9));
}

TEST_CASE("room security: plain guests in encrypted rooms") {
    for (json doc : {room_room(), keys_room()}) {
        doc["peers"].push_back(json{});
        const Room room = meshcall::parse_room(room_with_guests(doc).dump(), kLabel);
        CHECK(room.peers[2].role == PeerRole::viewer);
        CHECK(room.peers[2].plain);
        CHECK(room.peers[3].plain);
        CHECK(!room.peers[0].plain);
    }
}

TEST_CASE("room security error: an unknown level names the choices") {
    json doc = good_room();
    doc["security"] = "strong";
    check_error(room_error(doc), "security", "\"strong\" is not a security level");
    check_error(room_error(doc), "security", "\"room\"");
    doc["security"] = true;
    check_error(room_error(doc), "security", "must be a string");
}

TEST_CASE("room security error: a \"room\" room without a secret") {
    json doc = room_room();
    doc.erase("secret");
    check_error(room_error(doc), "secret", "missing");
}

TEST_CASE("room security error: a secret in a none room") {
    json doc = good_room();
    doc["secret"] = b64(7);
    check_error(room_error(doc), "secret", "is set but security is none");
    doc["security"] = "none";
    check_error(room_error(doc), "secret", "is set but security is none");
}

TEST_CASE("room security error: a secret that is not base64") {
    json doc = room_room();
    for (const char* bad : {"not base64!", "QUJD", "QUJD=", "QUJDRA", "QUJDRA==\n",
                            "QUJD RA==", "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_A="}) {
        doc["secret"] = bad;
        const std::string error = room_error(doc);
        INFO("secret: ", bad);
        if (std::string(bad) == "QUJD")
            check_error(error, "secret", "decodes to 3 bytes; a secret is 32");
        else
            check_error(error, "secret", "is not base64");
    }
    doc["secret"] = 32;
    check_error(room_error(doc), "secret", "must be a string, not a number");
}

TEST_CASE("room security error: a secret of the wrong length") {
    json doc = room_room();
    const std::string b31 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==";  // 31 x 'A'
    const std::string b33 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";  // 33 x 'A'
    doc["secret"] = b31;
    check_error(room_error(doc), "secret", "decodes to 31 bytes; a secret is 32");
    doc["secret"] = b33;
    check_error(room_error(doc), "secret", "decodes to 33 bytes; a secret is 32");
    doc["secret"] = "";
    check_error(room_error(doc), "secret", "decodes to 0 bytes; a secret is 32");
}

TEST_CASE("room security error: a \"keys\" room needs every participant's public key") {
    json doc = keys_room();
    doc["peers"][2].erase("public_key");
    check_error(room_error(doc), "peers[2].public_key",
                "missing: in a \"keys\" room each participant lists its public key (meshcall "
                "keygen prints it)");
}

TEST_CASE("room security error: two peers with the same public key") {
    json doc = keys_room();
    doc["peers"][2]["public_key"] = doc["peers"][0]["public_key"];
    check_error(room_error(doc), "peers[2].public_key",
                "is already the public key of peers[0] (\"alice\")");
}

TEST_CASE("room security error: public keys that are bad base64, the wrong length or zero") {
    json doc = keys_room();
    doc["peers"][1]["public_key"] = "%%%";
    check_error(room_error(doc), "peers[1].public_key", "is not base64");
    doc["peers"][1]["public_key"] = "QUJD";
    check_error(room_error(doc), "peers[1].public_key", "decodes to 3 bytes; a public key is 32");
    doc["peers"][1]["public_key"] = meshcall::key_to_base64(Key32{});
    check_error(room_error(doc), "peers[1].public_key", "all zeros");
    doc["peers"][1]["public_key"] = 5;
    check_error(room_error(doc), "peers[1].public_key", "must be a string");
}

TEST_CASE("room security error: a public key in a none or \"room\" room") {
    for (json doc : {good_room(), room_room()}) {
        doc["peers"][1]["public_key"] = b64(2);
        check_error(room_error(doc), "peers[1].public_key",
                    "only a \"keys\" room lists public keys");
    }
}

TEST_CASE("room security error: plain on a participant") {
    json doc = room_room();
    doc["peers"][0]["plain"] = true;
    check_error(room_error(doc), "peers[0].plain", "only a guest");
}

TEST_CASE("room security error: plain in a none room") {
    json doc = good_room();
    doc["peers"].push_back(json{});
    doc = room_with_guests(doc);
    check_error(room_error(doc), "peers[2].plain", "the room is not encrypted");
    doc["peers"][2]["plain"] = false;  // the default, said out loud
    doc["peers"][3].erase("plain");
    CHECK(room_error(doc) == "");
}

TEST_CASE("room security error: a guest without plain in an encrypted room") {
    json doc = room_room();
    doc["peers"].push_back(json{});
    doc = room_with_guests(doc);
    doc["peers"][3].erase("plain");
    check_error(room_error(doc), "peers[3].plain",
                "a stock guest cannot encrypt or decrypt: mark it \"plain\": true, and know that "
                "its stream is not private");
    doc["peers"][3]["plain"] = false;
    check_error(room_error(doc), "peers[3].plain", "a stock guest cannot encrypt or decrypt");
}

TEST_CASE("room security error: a plain guest with a public key") {
    json doc = keys_room();
    doc["peers"].push_back(json{});
    doc = room_with_guests(doc);
    doc["peers"][2]["public_key"] = b64(3);
    check_error(room_error(doc), "peers[2].public_key", "a plain guest");
}

TEST_CASE("room security error: plain must be a JSON boolean") {
    json doc = room_room();
    doc["peers"].push_back(json{});
    doc = room_with_guests(doc);
    for (const json& bad : {json("true"), json(1), json(nullptr), json::array()}) {
        doc["peers"][2]["plain"] = bad;
        INFO("plain: ", bad.dump());
        check_error(room_error(doc), "peers[2].plain", "must be true or false, not ");
    }
}

TEST_CASE("room security: in an encrypted room a participant's host may be left out") {
    json doc = room_room();
    doc["peers"][1].erase("host");
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.peers[1].host.empty());
    CHECK(!room.peers[1].address.known());
    CHECK(room.peers[0].address.known());
    CHECK(!room.destination(1, 0).known());
    // It binds the wildcard address on its own port; the others bind their own address.
    CHECK(room.bind_address(1).to_string() == "0.0.0.0:41311");
    CHECK(room.bind_address(0).to_string() == "127.0.0.1:41310");
    // Two peers with no host on the same port are no clash (they are behind different NATs).
    doc["peers"][2].erase("host");
    doc["peers"][2]["port"] = 41311;
    CHECK(room_error(doc.dump()).empty());
}

TEST_CASE("room security: a host may not be left out in a none room, or for a stock guest") {
    json none = good_room();
    none["peers"][1].erase("host");
    CHECK(room_error(none.dump()) == "standup.json: peers[1].host: is missing");
    json guests = room_with_guests(room_room());
    guests["peers"][2].erase("host");
    CHECK(room_error(guests.dump()).find("standup.json: peers[2].host: is missing; only a meshcall "
                                         "participant's host may be left out") == 0);
    json plain_sender = room_with_guests(room_room());
    plain_sender["peers"][3].erase("host");
    CHECK(room_error(plain_sender.dump()).find("peers[3].host: is missing") != std::string::npos);
}

TEST_CASE("room: an optional \"stun\" list of host:port, resolved once, bad entries named") {
    json doc = good_room();
    doc["stun"] = {"127.0.0.1:3478", "127.0.0.2", "[::1]:19302"};
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    REQUIRE(room.stun.size() == 3);
    CHECK(room.stun[0].address.to_string() == "127.0.0.1:3478");
    CHECK(room.stun[1].address.to_string() == "127.0.0.2:3478");  // the default port
    CHECK(room.stun[2].address.to_string() == "[::1]:19302");
    CHECK(meshcall::parse_room(good_room().dump(), kLabel).stun.empty());
    doc["stun"] = {"127.0.0.1:0"};
    CHECK(room_error(doc.dump()).find("standup.json: stun[0]: \"127.0.0.1:0\" is not \"host:port\"") == 0);
    doc["stun"] = {42};
    CHECK(room_error(doc.dump()) == "standup.json: stun[0]: must be a string \"host:port\"");
    doc["stun"] = {"a:1", "b:1", "c:1", "d:1", "e:1"};
    CHECK(room_error(doc.dump()) == "standup.json: stun: lists 5 servers; at most 4");
}
