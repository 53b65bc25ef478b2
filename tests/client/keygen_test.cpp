// Tests client/keygen through the real meshcall binary: `meshcall keygen [--key] [--force]
// [--show]`, the key file's mode and what is printed.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "config/private_key.hpp"
#include "tests/support/process.hpp"

using meshcall::test::RunResult;
using meshcall::test::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// meshcall with HOME and XDG_CONFIG_HOME in `home` (through env(1): see check_test.cpp).
RunResult meshcall_in(const TempDir& home, std::vector<std::string> args) {
    std::vector<std::string> argv = {"env", "HOME=" + home.path(),
                                     "XDG_CONFIG_HOME=" + home.file("config"), MESHCALL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return meshcall::test::run(std::move(argv), std::chrono::seconds(20));
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// The one line keygen prints on stdout: a 44-character base64 public key.
std::string public_key_line(const RunResult& r) {
    INFO("stdout: ", r.out);
    INFO("stderr: ", r.err);
    CHECK(r.status == 0);
    REQUIRE(r.out.size() == 45);
    CHECK(r.out.back() == '\n');
    CHECK(r.out[43] == '=');
    return r.out.substr(0, 44);
}

}  // namespace

TEST_CASE("keygen: writes a private key (0600, directory 0700) and prints its public key") {
    TempDir home;
    const RunResult r = meshcall_in(home, {"keygen"});
    const std::string pk = public_key_line(r);
    const std::string path = home.file("config/meshcall/private_key");
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(home.file("config/meshcall")) == 0700);
    const auto sk = meshcall::load_private_key(path);
    CHECK(meshcall::key_to_base64(meshcall::public_key_of(sk)) == pk);
    CHECK(!contains(r.out + r.err, meshcall::key_to_base64(sk)));  // the private key stays put
    CHECK(contains(r.err, path));
    CHECK(contains(r.err, "\"public_key\""));
}

TEST_CASE("keygen: refuses to replace a key without --force") {
    TempDir home;
    const std::string first = public_key_line(meshcall_in(home, {"keygen"}));
    const std::string path = home.file("config/meshcall/private_key");
    const std::string before = meshcall::test::read_file(path);
    const RunResult again = meshcall_in(home, {"keygen"});
    INFO("stderr: ", again.err);
    CHECK(again.status == 2);
    CHECK(again.out.empty());
    CHECK(contains(again.err, path + ": already exists"));
    CHECK(contains(again.err, "--force"));
    CHECK(meshcall::test::read_file(path) == before);
    const std::string second = public_key_line(meshcall_in(home, {"keygen", "--force"}));
    CHECK(second != first);
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("keygen: --show prints the public key of the key already there") {
    TempDir home;
    const std::string pk = public_key_line(meshcall_in(home, {"keygen"}));
    const RunResult show = meshcall_in(home, {"keygen", "--show"});
    CHECK(public_key_line(show) == pk);
    CHECK(show.err.empty());
}

TEST_CASE("keygen: --key PATH writes and shows that file") {
    TempDir home;
    const std::string path = home.file("keys/mine");
    const std::string pk = public_key_line(meshcall_in(home, {"keygen", "--key", path}));
    CHECK(mode_of(path) == 0600);
    CHECK(public_key_line(meshcall_in(home, {"keygen", "--show", "--key", path})) == pk);
}

TEST_CASE("keygen error: --show with no key, or a key others can read, exits 2") {
    TempDir home;
    const RunResult none = meshcall_in(home, {"keygen", "--show"});
    CHECK(none.status == 2);
    CHECK(contains(none.err, "no private key; run `meshcall keygen`"));
    (void)public_key_line(meshcall_in(home, {"keygen"}));
    const std::string path = home.file("config/meshcall/private_key");
    REQUIRE(chmod(path.c_str(), 0644) == 0);
    const RunResult open = meshcall_in(home, {"keygen", "--show"});
    CHECK(open.status == 2);
    CHECK(contains(open.err, "permissions 0644 are too open"));
    CHECK(meshcall_in(home, {"keygen", "--show", "--force"}).status == 2);
}
