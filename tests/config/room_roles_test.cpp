// Tests config/room: guest roles (viewer, sender), the viewer's port + k rule and its errors.
#include <doctest/doctest.h>

#include "config/room.hpp"
#include "tests/config/room_test_support.hpp"

using meshcall::PeerRole;
using meshcall::Room;
using namespace room_test;

namespace {
// alice, bob (participants), tv (a viewer at 41320), cam (a stock sender).
json guest_room() {
    json doc = good_room();
    doc["peers"] = {peer("alice", "127.0.0.1", 41310), peer("bob", "127.0.0.1", 41311),
                    peer("tv", "127.0.0.1", 41320), peer("cam", "127.0.0.1", 41312)};
    doc["peers"][2]["role"] = "viewer";
    doc["peers"][3]["role"] = "sender";
    return doc;
}
}  // namespace

TEST_CASE("room roles: no role is a participant, viewer and sender are read as written") {
    const Room room = meshcall::parse_room(guest_room().dump(), kLabel);
    CHECK(room.peers[0].role == PeerRole::participant);
    CHECK(room.peers[2].role == PeerRole::viewer);
    CHECK(room.peers[3].role == PeerRole::sender);
    CHECK(!room.peers[2].sends());
    CHECK(room.peers[2].receives());
    CHECK(room.peers[3].sends());
    CHECK(!room.peers[3].receives());
    json doc = guest_room();
    doc["peers"][1]["role"] = "participant";  // said explicitly: the same
    CHECK(meshcall::parse_room(doc.dump(), kLabel).peers[1].role == PeerRole::participant);
}

TEST_CASE("room roles: a viewer gets peers[k] at its port + k, everyone else at their address") {
    const Room room = meshcall::parse_room(guest_room().dump(), kLabel);
    CHECK(room.destination(2, 0).to_string() == "127.0.0.1:41320");
    CHECK(room.destination(2, 1).to_string() == "127.0.0.1:41321");
    CHECK(room.destination(2, 3).to_string() == "127.0.0.1:41323");  // the stock sender, too
    CHECK(room.destination(1, 0).to_string() == "127.0.0.1:41311");
    CHECK(room.destination(0, 3).to_string() == "127.0.0.1:41310");
}

TEST_CASE("room roles: upload counts the peers that receive (a stock sender gets nothing)") {
    const Room room = meshcall::parse_room(guest_room().dump(), kLabel);
    // alice sends to bob and tv, not to cam.
    CHECK(room.upload_kbps(0) == 2 * (1000 + 32));
}

TEST_CASE("room roles: find_participant refuses a guest and says what to run instead") {
    const Room room = meshcall::parse_room(guest_room().dump(), kLabel);
    CHECK(meshcall::find_participant(room, "bob", kLabel) == 1);
    for (const char* guest : {"tv", "cam"}) {
        try {
            (void)meshcall::find_participant(room, guest, kLabel);
            FAIL("a guest was accepted as a participant");
        } catch (const ConfigError& e) {
            INFO(e.what());
            CHECK(contains(e.what(), "meshcall invite standup.json --as " + std::string(guest)));
        }
    }
}

TEST_CASE("room roles error: an unknown role names the choices") {
    json doc = guest_room();
    doc["peers"][2]["role"] = "watcher";
    check_error(room_error(doc), "peers[2].role", "\"watcher\" is not a role");
    doc["peers"][2]["role"] = 1;
    check_error(room_error(doc), "peers[2].role", "must be a string");
}

TEST_CASE("room roles error: a viewer's port + k that is another peer's address") {
    json doc = guest_room();
    doc["peers"][2]["port"] = 41309;  // + 1 (bob) = 41310, alice's
    check_error(room_error(doc), "peers[2].port",
                "receives peers[1] (\"bob\") at port + 1, 127.0.0.1:41310, which is already the "
                "address of peers[0] (\"alice\")");
}

TEST_CASE("room roles error: a viewer's port + k past 65535") {
    json doc = guest_room();
    doc["peers"][2]["port"] = 65534;  // + 3 (cam) = 65537
    check_error(room_error(doc), "peers[2].port", "at port + 3 = 65537, which is not a port");
}

TEST_CASE("room roles error: a room of guests only") {
    json doc = guest_room();
    doc["peers"] = {doc["peers"][2], doc["peers"][3]};
    check_error(room_error(doc), "peers", "a call needs at least one meshcall participant");
}
