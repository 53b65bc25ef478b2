// The systemd user unit: it verifies cleanly, and meshcalld says READY=1 once its sockets are up.
// A real user manager runs the unit in user_manager_test.py here (systemd_tests/user_manager/*).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE("systemd-analyze verify finds nothing to say about meshcalld@.service") {
    if (!have_program("systemd-analyze")) {
        FAIL("systemd-analyze is needed (Debian: systemd); scripts/setup installs it");
        return;
    }
    TempDir dir;
    // The build's copy of the unit names the programs in the build tree, so verify can check them.
    const std::string unit = read_file(MESHCALL_BUILD_DIR "/systemd/test/meshcalld@.service");
    REQUIRE(unit.find("Type=notify") != std::string::npos);
    CHECK(unit.find("%E/meshcall/rooms/%i.json") != std::string::npos);
    CHECK(unit.find("Restart=on-failure") != std::string::npos);
    // The control socket is named for the instance, where `meshcall --room INSTANCE` looks.
    CHECK(unit.find("--control %t/meshcall/%i.sock") != std::string::npos);
    // Stopping is SIGTERM, meshcalld's own leave; the unit says why there is no ExecStop=.
    CHECK(unit.find("\nExecStop=") == std::string::npos);
    for (const char* key : {"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"})
        CHECK(unit.find(key) != std::string::npos);
    dir.write("meshcalld@standup.service", unit);
    RunResult r = run({"systemd-analyze", "verify", dir.file("meshcalld@standup.service")}, 30s);
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    // It exits 0 on some errors: anything on stderr is a finding.
    CHECK(r.err.empty());
}

TEST_CASE("meshcalld sends READY=1 to NOTIFY_SOCKET once its UDP and control sockets are up") {
    TempDir dir;
    const std::string path = dir.file("notify");
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    TestRoom room = make_room(dir, "notify", {"alice", "bob"});
    Process alice(
        {MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video", "none",
         "--audio", "none", "--control", dir.file("a.sock"), "--profile", dir.file("none.json")},
        dir.file("alice.log"), {"NOTIFY_SOCKET=" + path});
    std::string got;
    CHECK(wait_until(
        [&] {
            char buf[256];
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
            return got.find("READY=1") != std::string::npos;
        },
        10s));
    // By then the control socket answers.
    CHECK(access(dir.file("a.sock").c_str(), F_OK) == 0);
    alice.signal(SIGTERM);
    CHECK(alice.wait(2s) == 0);
    CHECK(wait_until(
        [&] {
            char buf[256];
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
            return got.find("STOPPING=1") != std::string::npos;
        },
        2s));
    close(fd);
}
