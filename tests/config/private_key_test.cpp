// Tests config/private_key and config/key32: the user's X25519 key for "keys" rooms (the file
// `meshcall keygen` writes) and the base64 form of 32-byte keys.
#include "config/private_key.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <string>

#include "config/error.hpp"
#include "config/profile.hpp"
#include "tests/support/process.hpp"

using meshcall::ConfigError;
using meshcall::Key32;
using meshcall::test::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string load_error(const std::string& path) {
    try {
        (void)meshcall::load_private_key(path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("private_key (keygen): base64 of a key is 44 characters and decodes back") {
    const Key32 k = meshcall::random_key32();
    const std::string text = meshcall::key_to_base64(k);
    CHECK(text.size() == 44);
    CHECK(text.back() == '=');
    std::string error;
    const auto back = meshcall::key_from_base64(text, "a key", error);
    REQUIRE(back);
    CHECK(*back == k);
    CHECK(meshcall::random_key32() != k);
}

TEST_CASE("private_key (keygen): the default path is in the profile directory") {
    CHECK(meshcall::default_key_path() == meshcall::config_dir() + "/private_key");
}

TEST_CASE("private_key (keygen): write then load gives the same key, file 0600, new dir 0700") {
    TempDir dir;
    const std::string path = dir.file("new/meshcall/private_key");
    const Key32 sk = meshcall::generate_private_key();
    meshcall::write_private_key(path, sk);
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(dir.file("new/meshcall")) == 0700);
    const std::string text = meshcall::test::read_file(path);
    CHECK(text == meshcall::key_to_base64(sk) + "\n");
    CHECK(meshcall::load_private_key(path) == sk);
}

TEST_CASE("private_key (keygen): an existing key is replaced only when asked") {
    TempDir dir;
    const std::string path = dir.file("private_key");
    const Key32 first = meshcall::generate_private_key();
    meshcall::write_private_key(path, first);
    const Key32 second = meshcall::generate_private_key();
    try {
        meshcall::write_private_key(path, second);
        FAIL("an existing key was overwritten");
    } catch (const ConfigError& e) {
        INFO(e.what());
        CHECK(contains(e.what(), path + ": already exists"));
        CHECK(contains(e.what(), "--force"));
    }
    CHECK(meshcall::load_private_key(path) == first);
    meshcall::write_private_key(path, second, true);
    CHECK(meshcall::load_private_key(path) == second);
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("private_key (keygen): public_key_of matches crypto_kx_keypair's public key") {
    REQUIRE(sodium_init() >= 0);
    Key32 pk{}, sk{};
    REQUIRE(crypto_kx_keypair(pk.data(), sk.data()) == 0);
    CHECK(meshcall::public_key_of(sk) == pk);
    const Key32 mine = meshcall::generate_private_key();
    CHECK(meshcall::public_key_of(mine) != meshcall::public_key_of(sk));
}

TEST_CASE("private_key (keygen) error: a missing file says to run meshcall keygen") {
    TempDir dir;
    const std::string path = dir.file("private_key");
    CHECK(load_error(path) == path + ": no private key; run `meshcall keygen`");
}

TEST_CASE("private_key (keygen) error: a key readable by group or others is refused") {
    TempDir dir;
    const std::string path = dir.file("private_key");
    meshcall::write_private_key(path, meshcall::generate_private_key());
    for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
        REQUIRE(chmod(path.c_str(), mode) == 0);
        const std::string error = load_error(path);
        INFO(error);
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
        CHECK(contains(error, path + ": permissions " + octal + " are too open"));
        CHECK(contains(error, "readable by you alone (chmod 600 " + path + ")"));
    }
    REQUIRE(chmod(path.c_str(), 0400) == 0);
    CHECK(load_error(path) == "");
}

TEST_CASE("private_key (keygen) error: bad content is named") {
    TempDir dir;
    const std::string path = dir.file("private_key");
    auto write = [&](const std::string& text) {
        dir.write("private_key", text);
        REQUIRE(chmod(path.c_str(), 0600) == 0);
    };
    write("not a key\n");
    CHECK(contains(load_error(path), path + ": is not base64"));
    write("QUJD\n");
    CHECK(contains(load_error(path), path + ": decodes to 3 bytes; a private key is 32"));
    write("");
    CHECK(contains(load_error(path), path + ": decodes to 0 bytes"));
    write(meshcall::key_to_base64(meshcall::random_key32()));  // no newline: fine
    CHECK(load_error(path) == "");
}
