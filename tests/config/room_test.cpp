// Tests config/room: parsing and validating room files, with the exact "file: field: problem"
// errors.
#include "config/room.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/error.hpp"
#include "tests/config/room_test_support.hpp"
#include "tests/support/process.hpp"

using meshcall::ConfigError;
using meshcall::Room;
using nlohmann::json;

using namespace room_test;

// ---- good rooms -------------------------------------------------------------------------------

TEST_CASE("room: a minimal room gets the default video and audio settings") {
    const Room room = meshcall::parse_room(good_room().dump(), kLabel);
    CHECK(room.name == "standup");
    CHECK(room.video.width == 640);
    CHECK(room.video.height == 480);
    CHECK(room.video.fps == 30);
    CHECK(room.video.bitrate_kbps == 1000);
    CHECK(room.audio.bitrate_kbps == 32);
    REQUIRE(room.peers.size() == 3);
    CHECK(room.peers[0].name == "alice");
    CHECK(room.peers[1].name == "bob");
    CHECK(room.peers[2].name == "carol");
    CHECK(room.peers[1].host == "127.0.0.1");
    CHECK(room.peers[1].port == 41311);
    CHECK(room.peers[1].address.family() == AF_INET);
    CHECK(room.peers[1].address.port() == 41311);
    CHECK(room.peers[1].address.to_string() == "127.0.0.1:41311");
    CHECK(room.upload_kbps(0) == 2 * (1000 + 32));
}

TEST_CASE("room: explicit video and audio settings are read as written") {
    json doc = good_room();
    doc["video"] = {{"width", 1280}, {"height", 720}, {"fps", 25}, {"bitrate_kbps", 2500}};
    doc["audio"] = {{"bitrate_kbps", 64}};
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.video.width == 1280);
    CHECK(room.video.height == 720);
    CHECK(room.video.fps == 25);
    CHECK(room.video.bitrate_kbps == 2500);
    CHECK(room.audio.bitrate_kbps == 64);
    CHECK(room.upload_kbps(0) == 2 * (2500 + 64));
}

TEST_CASE("room: a partial video object keeps the defaults for the fields it leaves out") {
    json doc = good_room();
    doc["video"] = {{"fps", 15}};
    doc["audio"] = json::object();
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.video.width == 640);
    CHECK(room.video.height == 480);
    CHECK(room.video.fps == 15);
    CHECK(room.video.bitrate_kbps == 1000);
    CHECK(room.audio.bitrate_kbps == 32);
}

TEST_CASE("room: the smallest and largest allowed values are accepted") {
    json low = good_room();
    low["video"] = {{"width", 16}, {"height", 16}, {"fps", 1}, {"bitrate_kbps", 50}};
    low["audio"] = {{"bitrate_kbps", 6}};
    low["peers"][0]["port"] = 1;
    const Room a = meshcall::parse_room(low.dump(), kLabel);
    CHECK(a.video.width == 16);
    CHECK(a.video.height == 16);
    CHECK(a.video.fps == 1);
    CHECK(a.video.bitrate_kbps == 50);
    CHECK(a.audio.bitrate_kbps == 6);
    CHECK(a.peers[0].port == 1);

    json high = good_room();
    high["video"] = {{"width", 3840}, {"height", 2160}, {"fps", 60}, {"bitrate_kbps", 20000}};
    high["audio"] = {{"bitrate_kbps", 510}};
    high["peers"][2]["port"] = 65535;
    const Room b = meshcall::parse_room(high.dump(), kLabel);
    CHECK(b.video.width == 3840);
    CHECK(b.video.height == 2160);
    CHECK(b.video.fps == 60);
    CHECK(b.video.bitrate_kbps == 20000);
    CHECK(b.audio.bitrate_kbps == 510);
    CHECK(b.peers[2].port == 65535);
    CHECK(b.peers[2].address.port() == 65535);
}

TEST_CASE("room: two and sixteen peers are both a call") {
    json two = good_room();
    two["peers"].erase(2);
    const Room a = meshcall::parse_room(two.dump(), kLabel);
    CHECK(a.peers.size() == 2);
    CHECK(a.upload_kbps(0) == 1032);

    json sixteen = good_room();
    sixteen["peers"] = json::array();
    for (int i = 0; i < 16; ++i)
        sixteen["peers"].push_back(peer("p" + std::to_string(i), "127.0.0.1", 42000 + i));
    const Room b = meshcall::parse_room(sixteen.dump(), kLabel);
    CHECK(b.peers.size() == 16);
    CHECK(b.upload_kbps(0) == 15 * 1032);
}

TEST_CASE("room: names may use letters, digits, '-' and '_' up to 64 characters") {
    json doc = good_room();
    const std::string long_name(64, 'x');
    doc["room"] = "Team_standup-2";
    doc["peers"][0]["name"] = long_name;
    doc["peers"][1]["name"] = "Bob-2";
    doc["peers"][2]["name"] = "c_3";
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.name == "Team_standup-2");
    CHECK(room.peers[0].name == long_name);
    CHECK(room.peers[1].name == "Bob-2");
    CHECK(room.peers[2].name == "c_3");
}

TEST_CASE("room: the same host on different ports and different hosts on one port are fine") {
    json doc = good_room();
    doc["peers"] = {peer("alice", "127.0.0.1", 41310), peer("bob", "127.0.0.2", 41310),
                    peer("carol", "127.0.0.1", 41311)};
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.peers[0].address.to_string() == "127.0.0.1:41310");
    CHECK(room.peers[1].address.to_string() == "127.0.0.2:41310");
    CHECK(room.peers[2].address.to_string() == "127.0.0.1:41311");
}

TEST_CASE("room: an IPv6 room is resolved and printed in brackets") {
    json doc = good_room();
    doc["peers"] = {peer("alice", "::1", 41310), peer("bob", "::1", 41311)};
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.peers[0].address.family() == AF_INET6);
    CHECK(room.peers[1].address.to_string() == "[::1]:41311");
    CHECK(room.peers[1].host == "::1");
}

TEST_CASE("room: a DNS name (localhost) is resolved once, the host kept as written") {
    json doc = good_room();
    doc["peers"] = {peer("alice", "localhost", 41310), peer("bob", "localhost", 41311)};
    const Room room = meshcall::parse_room(doc.dump(), kLabel);
    CHECK(room.peers[0].host == "localhost");
    const int family = room.peers[0].address.family();
    CHECK((family == AF_INET || family == AF_INET6));
    CHECK(room.peers[1].address.family() == family);
    CHECK(room.peers[1].address.port() == 41311);
}

TEST_CASE("room: whitespace, key order and a trailing newline do not matter") {
    const std::string text =
        "\n\n  {\"peers\": [ {\"port\": 41310, \"host\": \"127.0.0.1\", \"name\": \"alice\"},\n"
        "{\"name\":\"bob\",\"host\":\"127.0.0.1\",\"port\":41311}],\n \"room\": \"standup\" }\n\n";
    const Room room = meshcall::parse_room(text, kLabel);
    CHECK(room.name == "standup");
    CHECK(room.peers.size() == 2);
}

TEST_CASE("room: index_of and find_self locate a peer by name") {
    const Room room = meshcall::parse_room(good_room().dump(), kLabel);
    CHECK(room.index_of("alice") == 0);
    CHECK(room.index_of("carol") == 2);
    CHECK(room.index_of("Carol") == -1);
    CHECK(room.index_of("") == -1);
    CHECK(meshcall::find_self(room, "bob", kLabel) == 1);
}

TEST_CASE("room: find_self for an unknown name names the file, the name and every peer") {
    const Room room = meshcall::parse_room(good_room().dump(), kLabel);
    std::string error;
    try {
        (void)meshcall::find_self(room, "nobody", kLabel);
    } catch (const ConfigError& e) {
        error = e.what();
    }
    INFO("error text: ", error);
    CHECK(contains(error, "standup.json: "));
    CHECK(contains(error, "nobody"));
    CHECK(contains(error, "\"standup\""));
    CHECK(contains(error, "alice, bob, carol"));
}

TEST_CASE("room: load_room reads a file and labels it by its file name") {
    meshcall::test::TempDir dir;
    dir.write("standup.json", good_room().dump(2));
    const Room room = meshcall::load_room(dir.file("standup.json"));
    CHECK(room.name == "standup");
    CHECK(room.peers.size() == 3);

    json bad = good_room();
    bad["peers"][2]["port"] = 70000;
    dir.write("standup.json", bad.dump(2));
    const std::string error = load_error(dir.file("standup.json"));
    INFO("error text: ", error);
    // The label is the file's name, not its whole path.
    CHECK(error.rfind("standup.json: peers[2].port: 70000 is not a port (1-65535)", 0) == 0);
}

TEST_CASE("room: the example room four.json loads with four peers on 127.0.0.1:41310-41313") {
    const Room room = meshcall::load_room(std::string(MESHCALL_SOURCE_DIR) + "/rooms/four.json");
    CHECK(room.name == "four");
    REQUIRE(room.peers.size() == 4);
    const char* names[] = {"alice", "bob", "carol", "dave"};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(room.peers[i].name == names[i]);
        CHECK(room.peers[i].address.to_string() ==
              "127.0.0.1:" + std::to_string(41310 + static_cast<int>(i)));
    }
    CHECK(room.upload_kbps(0) == 3096);
}

TEST_CASE("room: a file of exactly 1 MiB is still read") {
    meshcall::test::TempDir dir;
    std::string text = good_room().dump();
    text.append(1024 * 1024 - text.size(), ' ');
    REQUIRE(text.size() == 1024 * 1024);
    dir.write("big.json", text);
    CHECK(meshcall::load_room(dir.file("big.json")).peers.size() == 3);
}

// ---- bad rooms: the file as a whole -----------------------------------------------------------

TEST_CASE("room error: an empty file") {
    const std::string error = room_error(std::string(""));
    INFO("error text: ", error);
    CHECK(contains(error, "standup.json: "));
    CHECK(contains(error, "empty"));
    CHECK(room_error(std::string(" \n\t\r\n")) == error);
}

TEST_CASE("room error: not JSON names the line and column") {
    const std::string text = "{\n  \"room\": \"standup\",\n  \"peers\": [,]\n}\n";
    const std::string error = room_error(text);
    INFO("error text: ", error);
    CHECK(contains(error, "standup.json: not valid JSON (line 3, column 13)"));
}

TEST_CASE("room error: text after the JSON object is not JSON") {
    const std::string error = room_error(good_room().dump() + "\n}");
    INFO("error text: ", error);
    CHECK(contains(error, "standup.json: not valid JSON (line 2, column 1)"));
}

TEST_CASE("room error: the top level is not an object") {
    check_error(room_error(std::string("[1, 2]")), "(top level)",
                "must be a JSON object, not an array");
    check_error(room_error(std::string("\"standup\"")), "(top level)",
                "must be a JSON object, not a string");
}

TEST_CASE("room error: a file over 1 MiB") {
    meshcall::test::TempDir dir;
    std::string text = good_room().dump();
    text.append(1024 * 1024 + 1 - text.size(), ' ');
    dir.write("huge.json", text);
    const std::string error = load_error(dir.file("huge.json"));
    INFO("error text: ", error);
    CHECK(contains(error, "huge.json: "));
    CHECK(contains(error, "larger than 1 MiB"));
    // parse_room itself refuses such text too.
    CHECK(contains(room_error(text), "larger than 1 MiB"));
}

TEST_CASE("room error: a file that does not exist") {
    meshcall::test::TempDir dir;
    const std::string error = load_error(dir.file("absent.json"));
    INFO("error text: ", error);
    CHECK(error.rfind("absent.json: ", 0) == 0);
    CHECK(contains(error, "cannot open"));
}

TEST_CASE("room error: a directory instead of a file") {
    meshcall::test::TempDir dir;
    const std::string error = load_error(dir.path());
    INFO("error text: ", error);
    const std::string name = dir.path().substr(dir.path().rfind('/') + 1);
    CHECK(error.rfind(name + ": ", 0) == 0);
    CHECK(contains(error, "cannot read the file"));
    CHECK(!contains(error, "not a ConfigError"));
}

// ---- bad rooms: top-level fields --------------------------------------------------------------

TEST_CASE("room error: the room name is missing") {
    json doc = good_room();
    doc.erase("room");
    check_error(room_error(doc), "room", "is missing");
}

TEST_CASE("room error: the room name is not a string") {
    json doc = good_room();
    doc["room"] = 42;
    check_error(room_error(doc), "room", "must be a string, not a number");
}

TEST_CASE("room error: the room name has a space") {
    json doc = good_room();
    doc["room"] = "stand up";
    check_error(room_error(doc), "room", "\"stand up\" is not a valid room name");
}

TEST_CASE("room error: the room name is empty or longer than 64 characters") {
    json doc = good_room();
    doc["room"] = "";
    check_error(room_error(doc), "room", "is not a valid room name");
    doc["room"] = std::string(65, 'r');
    check_error(room_error(doc), "room", "is not a valid room name; use 1-64 letters");
}

TEST_CASE("room error: a non-ASCII room name") {
    json doc = good_room();
    doc["room"] = "caf\xc3\xa9";
    check_error(room_error(doc), "room", "is not a valid room name");
}

TEST_CASE("room error: an unknown top-level key") {
    json doc = good_room();
    doc["peer"] = json::array();
    check_error(room_error(doc), "peer", "unknown key");
}

// ---- bad rooms: video and audio ---------------------------------------------------------------

TEST_CASE("room error: video is not an object") {
    json doc = good_room();
    doc["video"] = "640x480";
    check_error(room_error(doc), "video", "must be an object, not a string");
}

TEST_CASE("room error: video.width out of range") {
    json doc = good_room();
    doc["video"] = {{"width", 3842}};
    check_error(room_error(doc), "video.width", "3842 is not a width (16-3840)");
    doc["video"] = {{"width", 14}};
    check_error(room_error(doc), "video.width", "14 is not a width (16-3840)");
}

TEST_CASE("room error: video.width is odd") {
    json doc = good_room();
    doc["video"] = {{"width", 641}};
    check_error(room_error(doc), "video.width", "641 is odd");
}

TEST_CASE("room error: video.height out of range") {
    json doc = good_room();
    doc["video"] = {{"height", 8}};
    check_error(room_error(doc), "video.height", "8 is not a height (16-2160)");
    doc["video"] = {{"height", 2162}};
    check_error(room_error(doc), "video.height", "2162 is not a height (16-2160)");
}

TEST_CASE("room error: video.height is odd") {
    json doc = good_room();
    doc["video"] = {{"height", 481}};
    check_error(room_error(doc), "video.height", "481 is odd");
}

TEST_CASE("room error: video.fps out of range") {
    json doc = good_room();
    doc["video"] = {{"fps", 0}};
    check_error(room_error(doc), "video.fps", "0 is not a frame rate (1-60)");
    doc["video"] = {{"fps", 61}};
    check_error(room_error(doc), "video.fps", "61 is not a frame rate (1-60)");
}

TEST_CASE("room error: video.fps is a fraction") {
    json doc = good_room();
    doc["video"] = {{"fps", 29.97}};
    check_error(room_error(doc), "video.fps", "must be a whole number, not a fractional number");
}

TEST_CASE("room error: video.bitrate_kbps out of range") {
    json doc = good_room();
    doc["video"] = {{"bitrate_kbps", 49}};
    check_error(room_error(doc), "video.bitrate_kbps",
                "49 is not a video bitrate in kbit/s (50-20000)");
    doc["video"] = {{"bitrate_kbps", 20001}};
    check_error(room_error(doc), "video.bitrate_kbps", "20001 is not a video bitrate");
}

TEST_CASE("room error: an unknown key inside video") {
    json doc = good_room();
    doc["video"] = {{"width", 640}, {"framerate", 30}};
    check_error(room_error(doc), "video.framerate", "unknown key");
}

TEST_CASE("room error: audio.bitrate_kbps out of range") {
    json doc = good_room();
    doc["audio"] = {{"bitrate_kbps", 5}};
    check_error(room_error(doc), "audio.bitrate_kbps",
                "5 is not an audio bitrate in kbit/s (6-510)");
    doc["audio"] = {{"bitrate_kbps", 511}};
    check_error(room_error(doc), "audio.bitrate_kbps", "511 is not an audio bitrate");
}

TEST_CASE("room error: audio.bitrate_kbps is a string") {
    json doc = good_room();
    doc["audio"] = {{"bitrate_kbps", "32"}};
    check_error(room_error(doc), "audio.bitrate_kbps", "must be a whole number, not a string");
}

TEST_CASE("room error: an unknown key inside audio") {
    json doc = good_room();
    doc["audio"] = {{"codec", "opus"}};
    check_error(room_error(doc), "audio.codec", "unknown key");
}
