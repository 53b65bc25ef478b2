// Tests config/room: bad room files, part two (the peers array and its entries), each error
// naming the file, the field and the problem.
#include <doctest/doctest.h>

#include <string>

#include "tests/config/room_test_support.hpp"
#include "tests/support/process.hpp"

using namespace room_test;
using meshcall::Room;

// ---- bad rooms: the peers array ---------------------------------------------------------------

TEST_CASE("room error: peers is missing") {
    json doc = good_room();
    doc.erase("peers");
    check_error(room_error(doc), "peers", "is missing");
}

TEST_CASE("room error: peers is not an array") {
    json doc = good_room();
    doc["peers"] = {{"alice", "127.0.0.1"}};
    check_error(room_error(doc), "peers", "must be an array, not an object");
}

TEST_CASE("room error: one peer is not a call") {
    json doc = good_room();
    doc["peers"] = json::array({peer("alice", "127.0.0.1", 41310)});  // {x} alone is x itself with clang
    check_error(room_error(doc), "peers", "has 1 entries; a call has 2 to 16 people");
    doc["peers"] = json::array();
    check_error(room_error(doc), "peers", "has 0 entries");
}

TEST_CASE("room error: seventeen peers are too many") {
    json doc = good_room();
    doc["peers"] = json::array();
    for (int i = 0; i < 17; ++i)
        doc["peers"].push_back(peer("p" + std::to_string(i), "127.0.0.1", 42000 + i));
    check_error(room_error(doc), "peers", "has 17 entries; a call has 2 to 16 people");
}

TEST_CASE("room error: a peer entry is not an object") {
    json doc = good_room();
    doc["peers"][1] = "bob@127.0.0.1:41311";
    check_error(room_error(doc), "peers[1]", "must be a JSON object, not a string");
}

TEST_CASE("room error: a peer without a name") {
    json doc = good_room();
    doc["peers"][0].erase("name");
    check_error(room_error(doc), "peers[0].name", "is missing");
}

TEST_CASE("room error: a peer name that is not a valid name") {
    json doc = good_room();
    doc["peers"][1]["name"] = "bob smith";
    check_error(room_error(doc), "peers[1].name", "\"bob smith\" is not a valid name");
    doc["peers"][1]["name"] = std::string(65, 'b');
    check_error(room_error(doc), "peers[1].name", "is not a valid name; use 1-64 letters");
}

TEST_CASE("room error: a peer name that is not a string") {
    json doc = good_room();
    doc["peers"][1]["name"] = json::array({"bob"});
    check_error(room_error(doc), "peers[1].name", "must be a string, not an array");
}

TEST_CASE("room error: two peers with the same name") {
    json doc = good_room();
    doc["peers"][2]["name"] = "alice";
    check_error(room_error(doc), "peers[2].name",
                "\"alice\" is already the name of peers[0]; names must be unique");
}

TEST_CASE("room error: a peer without a host") {
    json doc = good_room();
    doc["peers"][1].erase("host");
    check_error(room_error(doc), "peers[1].host", "is missing");
}

TEST_CASE("room error: an empty host") {
    json doc = good_room();
    doc["peers"][1]["host"] = "";
    check_error(room_error(doc), "peers[1].host", "must be an IPv4/IPv6 address or a DNS name");
}

TEST_CASE("room error: a host that is a number") {
    json doc = good_room();
    doc["peers"][1]["host"] = 2130706433;
    check_error(room_error(doc), "peers[1].host", "must be a string, not a number");
}

TEST_CASE("room error: a host that does not resolve names the peer") {
    json doc = good_room();
    doc["peers"][1]["host"] = "no-such-host.invalid";
    const std::string error = room_error(doc);
    INFO("error text: ", error);
    CHECK(contains(error, "peers[1].host"));
    CHECK(contains(error, "bob"));
}

TEST_CASE("room error: a port out of range") {
    json doc = good_room();
    doc["peers"][2]["port"] = 70000;
    CHECK(room_error(doc) == "standup.json: peers[2].port: 70000 is not a port (1-65535)");
    doc["peers"][2]["port"] = 0;
    check_error(room_error(doc), "peers[2].port", "0 is not a port (1-65535)");
    doc["peers"][2]["port"] = -41312;
    check_error(room_error(doc), "peers[2].port", "-41312 is not a port (1-65535)");
}

TEST_CASE("room error: a port too large for any integer type") {
    const std::string text =
        "{\"room\":\"standup\",\"peers\":[{\"name\":\"alice\",\"host\":\"127.0.0.1\",\"port\":"
        "41310},"
        "{\"name\":\"bob\",\"host\":\"127.0.0.1\",\"port\":18446744073709551615}]}";
    check_error(room_error(text), "peers[1].port", "18446744073709551615 is not a port (1-65535)");
}

TEST_CASE("room error: a port written as a string or a fraction") {
    json doc = good_room();
    doc["peers"][0]["port"] = "41310";
    check_error(room_error(doc), "peers[0].port", "must be a whole number, not a string");
    doc["peers"][0]["port"] = 41310.5;
    check_error(room_error(doc), "peers[0].port",
                "must be a whole number, not a fractional number");
    doc["peers"][0]["port"] = true;
    check_error(room_error(doc), "peers[0].port", "must be a whole number, not a boolean");
}

TEST_CASE("room error: a peer without a port") {
    json doc = good_room();
    doc["peers"][0].erase("port");
    check_error(room_error(doc), "peers[0].port", "is missing");
}

TEST_CASE("room error: two peers on the same address and port") {
    json doc = good_room();
    doc["peers"][2]["port"] = 41310;
    check_error(room_error(doc), "peers[2].port",
                "127.0.0.1:41310 is already the address of peers[0] (\"alice\")");
}

TEST_CASE("room error: IPv4 and IPv6 peers in one room") {
    json doc = good_room();
    doc["peers"][1]["host"] = "::1";
    check_error(room_error(doc), "peers[1].host",
                "\"::1\" is IPv6 but peers[0] is not; use one address family for the whole room");
}

TEST_CASE("room error: an unknown key in a peer entry") {
    json doc = good_room();
    doc["peers"][1]["nick"] = "bobby";
    check_error(room_error(doc), "peers[1].nick", "unknown key");
}

// Found by the room fuzzer: nlohmann reports a number too large for a double as out_of_range,
// not as a parse error; it must still be a ConfigError, never an uncaught exception.
TEST_CASE("bad room: a number out of range (1e400) is a clear error, not a crash") {
    const std::string e =
        room_error(std::string(R"({"room":"r","video":{"fps":1e400},"peers":[]})"));
    CHECK(e.find("standup.json: not valid JSON (a number out of range)") != std::string::npos);
}
