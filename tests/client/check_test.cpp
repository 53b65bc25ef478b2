// Tests client/check through the real meshcall binary: `meshcall check`, exit codes and messages
// (`--probe` against a real router: tests/net/portmap_test.py).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/coturn.hpp"
#include "tests/support/process.hpp"

using meshcall::test::RunResult;
using meshcall::test::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string example(const std::string& name) {
    return std::string(MESHCALL_SOURCE_DIR) + "/rooms/" + name;
}

// Runs meshcall with HOME and XDG_CONFIG_HOME in `home`, so no real profile is read.
// Through env(1) rather than run()'s extra_env: extra_env appends "NAME=value" after the
// inherited environment, and getenv() returns the first (inherited) entry, so a HOME or
// XDG_CONFIG_HOME already set would win. env(1) replaces the variable instead.
RunResult meshcall_in(const TempDir& home, std::vector<std::string> args) {
    std::vector<std::string> argv = {"env", "HOME=" + home.path(),
                                     "XDG_CONFIG_HOME=" + home.file("config"), MESHCALL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return meshcall::test::run(std::move(argv), std::chrono::seconds(20));
}

// An error exit must be a worded message, never an escaped exception.
void check_clean_failure(const RunResult& r) {
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 2);
    CHECK(!r.err.empty());
    CHECK(!contains(r.err, "terminate called"));
    CHECK(!contains(r.err, "what():"));
    CHECK(!contains(r.err, "Aborted"));
}

const char* const kFourPeers[] = {"alice", "bob", "carol", "dave"};

}  // namespace

TEST_CASE("check: four.json as bob shows every peer and bob's upload") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", example("four.json"), "--as", "bob"});
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "four.json"));
    CHECK(contains(r.out, "\"four\""));
    CHECK(contains(r.out, "4 participants"));
    for (int i = 0; i < 4; ++i) {
        CHECK(contains(r.out, kFourPeers[i]));
        CHECK(contains(r.out, "127.0.0.1:" + std::to_string(41310 + i)));
    }
    CHECK(contains(r.out, "3096 kbit/s"));
    CHECK(contains(r.out, "you are bob"));
    CHECK(contains(r.out, "640x480"));
    CHECK(contains(r.out, "30 fps"));
    CHECK(r.err.empty());
}

TEST_CASE("check: four.json without --as shows the upload of each participant") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", example("four.json")});
    INFO("stdout: ", r.out);
    CHECK(r.status == 0);
    for (const char* name : kFourPeers) CHECK(contains(r.out, name));
    CHECK(contains(r.out, "3096 kbit/s"));
    CHECK(!contains(r.out, "you are"));
}

TEST_CASE("check: seven.json lists seven peers and a 6 x 1032 kbit/s upload") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", example("seven.json"), "--as", "alice"});
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "7 participants"));
    for (int i = 1; i <= 7; ++i) CHECK(contains(r.out, "127.0.0." + std::to_string(i) + ":41320"));
    for (const char* name : kFourPeers) CHECK(contains(r.out, name));
    CHECK(contains(r.out, "6192 kbit/s"));
}

TEST_CASE("check: fifteen.json lists fifteen peers and a 14 x 1032 kbit/s upload") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", example("fifteen.json")});
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "15 participants"));
    for (int i = 1; i <= 15; ++i) CHECK(contains(r.out, "127.0.0." + std::to_string(i) + ":41340"));
    CHECK(contains(r.out, "14448 kbit/s"));
}

TEST_CASE("check: a bad room exits 2 with file: field: problem on stderr") {
    TempDir home;
    home.write("standup.json", R"({
  "room": "standup",
  "peers": [
    { "name": "alice", "host": "127.0.0.1", "port": 41310 },
    { "name": "bob",   "host": "127.0.0.1", "port": 41311 },
    { "name": "carol", "host": "127.0.0.1", "port": 70000 }
  ]
})");
    const RunResult r = meshcall_in(home, {"check", home.file("standup.json"), "--as", "bob"});
    check_clean_failure(r);
    CHECK(contains(r.err, "standup.json: peers[2].port: 70000 is not a port (1-65535)"));
    CHECK(r.out.empty());
}

TEST_CASE("check: a file that is not JSON exits 2 naming line and column") {
    TempDir home;
    home.write("broken.json", "{\n  \"room\": \"standup\"\n  \"peers\": []\n}\n");
    const RunResult r = meshcall_in(home, {"check", home.file("broken.json")});
    check_clean_failure(r);
    CHECK(contains(r.err, "broken.json: not valid JSON (line 3"));
}

TEST_CASE("check: an empty file exits 2") {
    TempDir home;
    home.write("empty.json", "");
    const RunResult r = meshcall_in(home, {"check", home.file("empty.json")});
    check_clean_failure(r);
    CHECK(contains(r.err, "empty.json: "));
    CHECK(contains(r.err, "empty"));
}

TEST_CASE("check: --as a name not in the room exits 2 naming the peers") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", example("four.json"), "--as", "nobody"});
    check_clean_failure(r);
    CHECK(contains(r.err, "four.json"));
    CHECK(contains(r.err, "nobody"));
    CHECK(contains(r.err, "alice, bob, carol, dave"));
}

TEST_CASE("check: a missing room file exits 2") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check", home.file("absent.json")});
    check_clean_failure(r);
    CHECK(contains(r.err, "absent.json"));
}

TEST_CASE("check: a room file over 1 MiB exits 2") {
    TempDir home;
    home.write("huge.json", "{\"room\": \"x\"" + std::string(1024 * 1024 + 10, ' ') + "}");
    const RunResult r = meshcall_in(home, {"check", home.file("huge.json")});
    check_clean_failure(r);
    CHECK(contains(r.err, "huge.json"));
    CHECK(contains(r.err, "1 MiB"));
}

TEST_CASE("check: without --as the profile's name is used when it is in the room") {
    TempDir home;
    std::filesystem::create_directories(home.file("config/meshcall"));
    home.write("config/meshcall/profile.json", R"({"name": "carol"})");
    const RunResult r = meshcall_in(home, {"check", example("four.json")});
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "you are carol"));
}

TEST_CASE("check: --help and --version exit 0") {
    TempDir home;
    const RunResult help = meshcall_in(home, {"--help"});
    INFO("help: ", help.out, help.err);
    CHECK(help.status == 0);
    CHECK(contains(help.out, "check"));
    CHECK(contains(help.out, "join"));

    const RunResult version = meshcall_in(home, {"--version"});
    INFO("version: ", version.out, version.err);
    CHECK(version.status == 0);
    CHECK(contains(version.out, "meshcall "));

    const RunResult check_help = meshcall_in(home, {"check", "--help"});
    CHECK(check_help.status == 0);
    CHECK(contains(check_help.out, "--as"));
}

TEST_CASE("check: no room argument is a usage error (exit 2)") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"check"});
    check_clean_failure(r);
    const RunResult none = meshcall_in(home, {});
    check_clean_failure(none);
}

TEST_CASE("check: a room with guests counts them and lists each viewer's port + k") {
    TempDir dir;
    dir.write("guests.json", R"({"room": "guests", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310},
        {"name": "tv", "host": "127.0.0.1", "port": 41320, "role": "viewer"},
        {"name": "bob", "host": "127.0.0.1", "port": 41311},
        {"name": "cam", "host": "127.0.0.1", "port": 41312, "role": "sender"}]})");
    const auto r = meshcall_in(dir, {"check", dir.file("guests.json"), "--as", "alice"});
    INFO(r.out, r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "2 participants, 1 viewer, 1 stock sender"));
    CHECK(contains(r.out,
                   "viewer: peers[k]'s stream at port + k (alice 41320, bob 41322, cam 41323)"));
    CHECK(contains(r.out, "sender: sends only"));
    // alice sends to bob and tv, not to the stock sender.
    CHECK(contains(r.out, "you send to 2 peers, upload 2064 kbit/s"));
    const auto tv = meshcall_in(dir, {"check", dir.file("guests.json"), "--as", "tv"});
    CHECK(contains(tv.out, "meshcall invite"));
}

namespace {

// A "room" room with a viewer and a sender (plain), and its secret.
const char* const kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
const char* const kSecureRoom = R"({"room": "secure", "security": "room",
    "secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=", "peers": [
    {"name": "alice", "host": "127.0.0.1", "port": 41310},
    {"name": "tv", "host": "127.0.0.1", "port": 41320, "role": "viewer", "plain": true},
    {"name": "bob", "host": "127.0.0.1", "port": 41311},
    {"name": "cam", "host": "127.0.0.1", "port": 41312, "role": "sender", "plain": true}]})";

}  // namespace

TEST_CASE("check: an encrypted room shows its security and plain guests, never the secret") {
    TempDir dir;
    dir.write("secure.json", kSecureRoom);
    REQUIRE(chmod(dir.file("secure.json").c_str(), 0600) == 0);
    const auto r = meshcall_in(dir, {"check", dir.file("secure.json"), "--as", "bob"});
    INFO(r.out, r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out,
                   "security: room (every datagram encrypted and authenticated; whoever "
                   "has this file is in)"));
    CHECK(contains(r.out, "unencrypted (plain guests, their streams are not private): tv, cam"));
    CHECK(contains(r.out, "sender: sends only, plain: not encrypted"));
    CHECK(!contains(r.out + r.err, kSecret));
    CHECK(!contains(r.out + r.err, "c2VjcmV0"));
    CHECK(r.err.empty());
}

TEST_CASE("check: a room file with a secret that others can read gets a warning") {
    TempDir dir;
    dir.write("secure.json", kSecureRoom);
    const std::string path = dir.file("secure.json");
    REQUIRE(chmod(path.c_str(), 0644) == 0);
    const auto r = meshcall_in(dir, {"check", path});
    INFO(r.out, r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.err, "holds the room's secret: chmod 600 " + path));
    CHECK(contains(r.err, "mode 0644"));
    CHECK(!contains(r.out + r.err, kSecret));
}

TEST_CASE("check: a none room says it is not encrypted, a keys room says pairwise keys") {
    TempDir dir;
    const auto none = meshcall_in(dir, {"check", example("four.json")});
    CHECK(contains(none.out,
                   "security: none (NOT encrypted: anyone on the path sees and hears the call)"));
    CHECK(none.err.empty());  // no secret, no warning, whatever the mode
    dir.write("keys.json", R"({"room": "keyed", "security": "keys", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310,
         "public_key": "YWxpY2UtYWxpY2UtYWxpY2UtYWxpY2UtYWxpY2UtYWw="},
        {"name": "bob", "host": "127.0.0.1", "port": 41311,
         "public_key": "Ym9iLWJvYi1ib2ItYm9iLWJvYi1ib2ItYm9iLWJvYi0="}]})");
    const auto keys = meshcall_in(dir, {"check", dir.file("keys.json")});
    INFO(keys.out, keys.err);
    CHECK(keys.status == 0);
    CHECK(contains(keys.out, "security: keys (pairwise keys: no member can pass for another)"));
    CHECK(!contains(keys.out + keys.err, "YWxpY2Ut"));
}

TEST_CASE("check: security errors exit 2 naming file and field") {
    TempDir dir;
    dir.write("bad.json", R"({"room": "r", "security": "room", "secret": "QUJD", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310},
        {"name": "bob", "host": "127.0.0.1", "port": 41311}]})");
    const auto r = meshcall_in(dir, {"check", dir.file("bad.json")});
    check_clean_failure(r);
    CHECK(contains(r.err, "bad.json: secret: decodes to 3 bytes; a secret is 32"));
}

TEST_CASE("check --probe leaves a port a running call holds alone, and needs --as") {
    TempDir dir;
    // bob's port taken, as a running meshcalld would: the probe would renew and then remove
    // that call's own mapping, so it does not ask the router at all (no router needed here).
    const int held = meshcall::test::bound_udp(41311);
    const auto busy = meshcall_in(dir, {"check", example("four.json"), "--as", "bob", "--probe"});
    if (held >= 0) close(held);
    INFO(busy.out, busy.err);
    CHECK(busy.status == 0);
    CHECK(contains(busy.out, "port mapping: not probed (UDP port 41311 is in use here"));

    const auto anonymous = meshcall_in(dir, {"check", example("four.json"), "--probe"});
    INFO(anonymous.out, anonymous.err);
    CHECK(anonymous.status == 0);
    CHECK(contains(anonymous.out, "probe: give --as NAME"));
}

TEST_CASE("check --probe asks the room's STUN server where it sees this host") {
    TempDir dir;
    meshcall::test::Coturn coturn(dir, "127.0.0.1");
    REQUIRE_MESSAGE(coturn.wait_ready(std::chrono::seconds(10)), coturn.log());
    const int alice = meshcall::free_udp_port(), bob = meshcall::free_udp_port();
    dir.write("stun.json", "{\"room\": \"stun\", \"stun\": [\"127.0.0.1:" +
                               std::to_string(coturn.port()) + "\"], \"peers\": [" +
                               "{\"name\": \"alice\", \"host\": \"127.0.0.1\", \"port\": " +
                               std::to_string(alice) + "}, {\"name\": \"bob\", \"host\": " +
                               "\"127.0.0.1\", \"port\": " + std::to_string(bob) + "}]}");
    // alice's port held (no router is asked); STUN goes out from another port then.
    const int held = meshcall::test::bound_udp(alice);
    const auto r = meshcall_in(dir, {"check", dir.file("stun.json"), "--as", "alice", "--probe"});
    if (held >= 0) close(held);
    INFO(r.out, r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "public endpoint (STUN 127.0.0.1:" + std::to_string(coturn.port()) +
                              "): 127.0.0.1:"));
}
