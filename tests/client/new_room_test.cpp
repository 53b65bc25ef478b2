// Tests client/new_room through the real meshcall binary: `meshcall new-room`, the file it
// writes (mode 0600, a fresh secret, plain guests) and its errors.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/error.hpp"
#include "config/room.hpp"
#include "tests/support/process.hpp"

using meshcall::Room;
using meshcall::Security;
using meshcall::test::RunResult;
using meshcall::test::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

RunResult meshcall_in(const TempDir& home, std::vector<std::string> args) {
    std::vector<std::string> argv = {"env", "HOME=" + home.path(),
                                     "XDG_CONFIG_HOME=" + home.file("config"), MESHCALL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return meshcall::test::run(std::move(argv), std::chrono::seconds(20));
}

// new-room FILE --room standup --peer alice=127.0.0.1:41310 --peer bob=127.0.0.1:41311 + more.
RunResult new_room(const TempDir& dir, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {
        "new-room", dir.file("standup.json"), "--room", "standup",
        "--peer",   "alice=127.0.0.1:41310",  "--peer", "bob=127.0.0.1:41311"};
    args.insert(args.end(), more.begin(), more.end());
    return meshcall_in(dir, args);
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

void check_clean_failure(const RunResult& r) {
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 2);
    CHECK(!r.err.empty());
    CHECK(!contains(r.err, "terminate called"));
}

}  // namespace

TEST_CASE("new-room: a 0600 room file with a fresh secret, security room by default") {
    TempDir dir;
    const RunResult r = new_room(dir);
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    REQUIRE(r.status == 0);
    const std::string path = dir.file("standup.json");
    CHECK(mode_of(path) == 0600);
    const Room room = meshcall::load_room(path);
    CHECK(room.name == "standup");
    CHECK(room.security == Security::room);
    REQUIRE(room.secret);
    CHECK(room.peers.size() == 2);
    CHECK(room.peers[1].name == "bob");
    CHECK(room.peers[1].port == 41311);
    const std::string secret = meshcall::key_to_base64(*room.secret);
    CHECK(!contains(r.out + r.err, secret));
    CHECK(contains(r.out, "standup.json: room \"standup\", 2 participants"));
    CHECK(contains(r.err, "meshcall check " + path));
    CHECK(contains(r.err, "privately"));
    // The room's defaults, written out.
    const std::string text = meshcall::test::read_file(path);
    CHECK(contains(text, "\"width\": 640"));
    CHECK(contains(text, "\"bitrate_kbps\": 32"));
    CHECK(contains(text, "\"security\": \"room\""));
    // Each run draws a new secret.
    TempDir other;
    REQUIRE(new_room(other).status == 0);
    CHECK(*meshcall::load_room(other.file("standup.json")).secret != *room.secret);
}

TEST_CASE("new-room: guests are plain in an encrypted room and not in a none room") {
    for (const char* security : {"room", "none"}) {
        TempDir dir;
        const RunResult r = new_room(dir, {"--viewer", "tv=127.0.0.1:41320", "--sender",
                                           "cam=127.0.0.1:41330", "--security", security});
        INFO(security, r.out, r.err);
        REQUIRE(r.status == 0);
        const Room room = meshcall::load_room(dir.file("standup.json"));
        REQUIRE(room.peers.size() == 4);
        CHECK(room.peers[2].role == meshcall::PeerRole::viewer);
        CHECK(room.peers[3].role == meshcall::PeerRole::sender);
        const bool encrypted = std::string(security) != "none";
        CHECK(room.encrypted() == encrypted);
        CHECK(room.peers[2].plain == encrypted);
        CHECK(room.peers[3].plain == encrypted);
        CHECK(!room.peers[0].plain);
        CHECK(room.secret.has_value() == encrypted);
        if (encrypted) CHECK(contains(r.err, "tv, cam"));
        if (!encrypted) CHECK(contains(r.err, "NOT encrypted"));
    }
}

TEST_CASE("new-room: --security keys writes a secret, no keys, and says to run keygen") {
    TempDir dir;
    const RunResult r = new_room(dir, {"--security", "keys"});
    INFO(r.out, r.err);
    REQUIRE(r.status == 0);
    CHECK(contains(r.err, "meshcall keygen"));
    CHECK(contains(r.err, "\"public_key\""));
    const std::string path = dir.file("standup.json");
    CHECK(mode_of(path) == 0600);
    auto doc = nlohmann::json::parse(meshcall::test::read_file(path));
    CHECK(doc["security"] == "keys");
    CHECK(doc.contains("secret"));
    // Until the keys are in, the room says which is missing; with them, it loads.
    try {
        (void)meshcall::load_room(path);
        FAIL("a keys room without keys loaded");
    } catch (const meshcall::ConfigError& e) {
        CHECK(contains(e.what(), "peers[0].public_key: missing"));
    }
    doc["peers"][0]["public_key"] = meshcall::key_to_base64(meshcall::random_key32());
    doc["peers"][1]["public_key"] = meshcall::key_to_base64(meshcall::random_key32());
    const Room room = meshcall::parse_room(doc.dump(), "standup.json");
    CHECK(room.security == Security::keys);
    CHECK(room.secret);
}

TEST_CASE("new-room: IPv6 peers in brackets") {
    TempDir dir;
    const RunResult r = meshcall_in(dir, {"new-room", dir.file("v6.json"), "--room", "v6", "--peer",
                                          "alice=[::1]:41310", "--peer", "bob=[::1]:41311"});
    INFO(r.out, r.err);
    REQUIRE(r.status == 0);
    const Room room = meshcall::load_room(dir.file("v6.json"));
    CHECK(room.peers[0].host == "::1");
    CHECK(room.peers[1].address.to_string() == "[::1]:41311");
}

TEST_CASE("new-room: refuses to replace a file without --force") {
    TempDir dir;
    REQUIRE(new_room(dir).status == 0);
    const std::string path = dir.file("standup.json");
    const std::string before = meshcall::test::read_file(path);
    const RunResult again = new_room(dir);
    check_clean_failure(again);
    CHECK(contains(again.err, path + ": already exists"));
    CHECK(meshcall::test::read_file(path) == before);
    REQUIRE(new_room(dir, {"--force"}).status == 0);
    CHECK(meshcall::test::read_file(path) != before);
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("new-room error: bad peers and options exit 2 and write nothing") {
    TempDir dir;
    const std::string path = dir.file("standup.json");
    struct Case {
        std::vector<std::string> more;
        const char* error;
    };
    const Case cases[] = {
        {{"--peer", "carol127.0.0.1:41312"}, "--peer \"carol127.0.0.1:41312\": no '='"},
        {{"--peer", "carol=127.0.0.1"}, "no ':PORT'"},
        {{"--peer", "carol=::1:41312"}, "an IPv6 address goes in brackets"},
        {{"--peer", "carol=127.0.0.1:http"}, "\"http\" is not a port"},
        {{"--peer", "carol=127.0.0.1:70000"},
         "standup.json: peers[2].port: 70000 is not a port (1-65535)"},
        {{"--peer", "bob=127.0.0.1:41312"}, "standup.json: peers[2].name: \"bob\" is already"},
        {{"--peer", "c d=127.0.0.1:41312"}, "standup.json: peers[2].name:"},
        {{"--viewer", "tv=127.0.0.1:41309"}, "standup.json: peers[2].port: a viewer receives"},
        {{"--security", "strong"}, "--security"},
    };
    for (const Case& c : cases) {
        const RunResult r = new_room(dir, c.more);
        INFO(c.more[1]);
        check_clean_failure(r);
        CHECK(contains(r.err, c.error));
        CHECK(!std::filesystem::exists(path));
    }
    check_clean_failure(meshcall_in(dir, {"new-room", path, "--peer", "a=127.0.0.1:1"}));
    check_clean_failure(meshcall_in(dir, {"new-room", path, "--room", "x"}));
    check_clean_failure(meshcall_in(dir, {"new-room", path, "--room", "bad name!", "--peer",
                                          "a=127.0.0.1:1", "--peer", "b=127.0.0.1:2"}));
    CHECK(!std::filesystem::exists(path));
}
