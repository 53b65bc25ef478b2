// Tests config/call_config with a "keys" room: the private key is loaded and must match the
// public key the room lists for --as.
#include "config/call_config.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/call_args.hpp"
#include "config/error.hpp"
#include "config/private_key.hpp"
#include "tests/support/process.hpp"

using meshcall::CallArgs;
using meshcall::ConfigError;
using meshcall::Key32;
using meshcall::test::TempDir;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A "keys" room on loopback: alice's and bob's public keys; written to `dir`/keys.json.
std::string write_keys_room(const TempDir& dir, const Key32& alice_pk, const Key32& bob_pk) {
    const json doc = {{"room", "keyed"},
                      {"security", "keys"},
                      {"peers",
                       {{{"name", "alice"},
                         {"host", "127.0.0.1"},
                         {"port", 41310},
                         {"public_key", meshcall::key_to_base64(alice_pk)}},
                        {{"name", "bob"},
                         {"host", "127.0.0.1"},
                         {"port", 41311},
                         {"public_key", meshcall::key_to_base64(bob_pk)}}}}};
    dir.write("keys.json", doc.dump(2));
    return dir.file("keys.json");
}

CallArgs args_for(const TempDir& dir, const std::string& room, const std::string& as,
                  const std::string& key) {
    CallArgs a;
    a.room_path = room;
    a.as = as;
    a.video = "test";
    a.audio = "none";
    a.profile_path = dir.file("no-profile.json");
    a.key_path = key;
    return a;
}

std::string resolve_error(const CallArgs& a) {
    try {
        (void)meshcall::resolve_call_config(a);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("call_config: a \"keys\" room loads --key when it belongs to --as") {
    TempDir dir;
    const Key32 alice = meshcall::generate_private_key(), bob = meshcall::generate_private_key();
    const std::string room =
        write_keys_room(dir, meshcall::public_key_of(alice), meshcall::public_key_of(bob));
    meshcall::write_private_key(dir.file("bob.key"), bob);
    const auto c = meshcall::resolve_call_config(args_for(dir, room, "bob", dir.file("bob.key")));
    REQUIRE(c.private_key);
    CHECK(*c.private_key == bob);
    CHECK(c.me().name == "bob");
}

TEST_CASE("call_config error: a \"keys\" room with no private key says to run keygen") {
    TempDir dir;
    const std::string room = write_keys_room(dir, meshcall::public_key_of(meshcall::random_key32()),
                                             meshcall::public_key_of(meshcall::random_key32()));
    const std::string error = resolve_error(args_for(dir, room, "bob", dir.file("absent.key")));
    CHECK(error == dir.file("absent.key") + ": no private key; run `meshcall keygen`");
}

TEST_CASE("call_config error: a private key that is not the one the room lists for --as") {
    TempDir dir;
    const Key32 alice = meshcall::generate_private_key(), bob = meshcall::generate_private_key();
    const std::string room =
        write_keys_room(dir, meshcall::public_key_of(alice), meshcall::public_key_of(bob));
    meshcall::write_private_key(dir.file("alice.key"), alice);
    const std::string error = resolve_error(args_for(dir, room, "bob", dir.file("alice.key")));
    INFO(error);
    CHECK(contains(error, "keys.json: the private key " + dir.file("alice.key") +
                              " does not belong to peers[1] (\"bob\"): its public key is " +
                              meshcall::key_to_base64(meshcall::public_key_of(alice)) +
                              ", the room lists " +
                              meshcall::key_to_base64(meshcall::public_key_of(bob))));
    CHECK(!contains(error, meshcall::key_to_base64(alice)));  // never the private key itself
}

TEST_CASE("call_config: rooms that are not \"keys\" read no private key") {
    TempDir dir;
    dir.write("room.json", R"({"room": "r", "security": "room",
        "secret": "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310},
        {"name": "bob", "host": "127.0.0.1", "port": 41311}]})");
    const auto c =
        meshcall::resolve_call_config(args_for(dir, dir.file("room.json"), "bob", dir.file("x")));
    CHECK(!c.private_key);
    CHECK(c.room.secret);
}

TEST_CASE("call_config: --key goes through call_argv to meshcalld, only when given") {
    CallArgs a;
    a.room_path = "r.json";
    CHECK(meshcall::call_argv(a) == std::vector<std::string>{"--room", "r.json"});
    a.key_path = "/k/private_key";
    const auto argv = meshcall::call_argv(a);
    CHECK(argv == std::vector<std::string>{"--room", "r.json", "--key", "/k/private_key"});
    CLI::App app;
    CallArgs parsed;
    meshcall::add_call_options(app, parsed);
    app.parse("--key /k/private_key", false);
    CHECK(parsed.key_path == "/k/private_key");
}
