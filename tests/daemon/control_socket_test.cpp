// The control socket: bad requests cost nothing, limits hold, only the owner may drive a call,
// stale and live sockets, and the CLI against a real daemon.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Status answers within 200 ms.
bool status_is_quick(Daemon& d) {
    const auto t0 = std::chrono::steady_clock::now();
    auto s = d.status();
    return s && std::chrono::steady_clock::now() - t0 < 200ms;
}

}  // namespace

TEST_CASE("malformed control requests get an error reply and the daemon keeps answering") {
    TempDir dir;
    TestRoom room = make_room(dir, "ctl", {"alice", "bob"});
    Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"});
    REQUIRE(alice.wait_ready());
    const std::vector<std::string> bad = {
        "not json",
        "[1,2,3]",
        "42",
        R"({"nocmd":true})",
        R"({"cmd":7})",
        R"({"cmd":"explode"})",
        R"({"cmd":"mute","what":"everything"})",
        R"({"cmd":"mute","what":3})",
        R"({"cmd":"status","extra":1})",
        R"({"cmd":"snapshot"})",
        std::string("{\"cmd\":\"sta\0tus\"}", 17),
        "{\"cmd\":\"status\"",
        "\xff\xfe\xfd",
    };
    for (const auto& line : bad) {
        INFO("request: " << line);
        auto reply = alice.request(line);
        REQUIRE(reply);
        CHECK((*reply)["ok"] == false);
        CHECK((*reply)["error"].is_string());
        CHECK(status_is_quick(alice));
    }
    // Several requests on one connection, the bad one in the middle.
    auto replies = raw_control_lines(alice.control(),
                                     "{\"cmd\":\"status\"}\nnonsense\n{\"cmd\":\"status\"}\n", 3);
    REQUIRE(replies.size() == 3);
    for (int i = 0; i < 3; ++i) {
        INFO("reply " << i << ": " << replies[i]);
        auto j = nlohmann::json::parse(replies[i], nullptr, false);
        REQUIRE(j.is_object());
        CHECK(j["ok"] == (i != 1));
        if (i != 1) CHECK(j["room"].is_string());
    }
    auto s = alice.status();
    REQUIRE(s);
    CHECK((*s)["bad_requests"].get<int>() >= static_cast<int>(bad.size()));
}

TEST_CASE("a 1 MiB line is refused and dropped and the same connection stays usable") {
    TempDir dir;
    TestRoom room = make_room(dir, "long", {"alice", "bob"});
    Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"});
    REQUIRE(alice.wait_ready());
    int fd = connect_to(alice.control());
    REQUIRE(fd >= 0);
    std::string big(1024 * 1024, 'x');
    big += "\n{\"cmd\":\"status\"}\n";
    std::thread writer([&] { (void)send(fd, big.data(), big.size(), MSG_NOSIGNAL); });
    std::string got;
    char buf[65536];
    CHECK(wait_until(
        [&] {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
            return std::count(got.begin(), got.end(), '\n') >= 2;
        },
        5s));
    writer.join();
    close(fd);
    CHECK(got.find("longer than 64 KiB") != std::string::npos);
    CHECK(got.find("\"room\":\"long\"") != std::string::npos);  // the status after it was answered
    CHECK(status_is_quick(alice));
}

TEST_CASE("40 clients and a client that never reads: at most 32 held, status stays quick") {
    TempDir dir;
    TestRoom room = make_room(dir, "many", {"alice", "bob"});
    Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"});
    REQUIRE(alice.wait_ready());
    std::vector<int> fds;
    for (int i = 0; i < 40; ++i) fds.push_back(connect_to(alice.control()));
    // A client that asks for a lot and never reads its replies.
    int sleeper = connect_to(alice.control());
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "{\"cmd\":\"status\"}\n";
    (void)send(sleeper, many.data(), many.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    // Each status is a new client: the idlest ones make room, and it is answered at once.
    for (int i = 0; i < 20; ++i) CHECK(status_is_quick(alice));
    // The first, idle clients were told why and closed.
    char buf[256];
    ssize_t got = 0;
    CHECK(wait_until([&] { return (got = recv(fds[0], buf, sizeof buf, MSG_DONTWAIT)) > 0; }, 2s));
    CHECK(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(got, 0)))
              .find("too many control clients") != std::string::npos);
    for (int fd : fds) close(fd);
    close(sleeper);
    CHECK(status_is_quick(alice));
    CHECK(alice.process().running());
}

TEST_CASE("the default control socket is 0600 in a 0700 directory, and the CLI finds the call") {
    TempDir dir;
    TestRoom room = make_room(dir, "perm", {"alice", "bob"});
    const std::string runtime = dir.file("run");
    mkdir(runtime.c_str(), 0755);
    Process alice({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video",
                   "none", "--audio", "none", "--profile", dir.file("none.json")},
                  dir.file("alice.log"), {"XDG_RUNTIME_DIR=" + runtime});
    const std::string sock = runtime + "/meshcall/perm.sock";
    REQUIRE(wait_until([&] { return access(sock.c_str(), F_OK) == 0; }, 10s));
    struct stat st {};
    REQUIRE(stat((runtime + "/meshcall").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(stat(sock.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // The CLI finds the single running call with no --room.
    RunResult mine = run({MESHCALL_BIN, "status"}, 5s, {"XDG_RUNTIME_DIR=" + runtime});
    CHECK(mine.status == 0);
    CHECK(mine.out.find("bob") != std::string::npos);
    alice.signal(SIGTERM);
    CHECK(alice.wait(2s) == 0);
    CHECK(access(sock.c_str(), F_OK) != 0);
}

TEST_CASE("another user is refused by the control socket even when the file mode would let it in") {
    if (getuid() != 0 || !have_program("setpriv")) {
        skip_test("needs root and setpriv to act as another user");
        return;
    }
    TempDir dir;
    TestRoom room = make_room(dir, "other", {"alice", "bob"});
    Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"});
    REQUIRE(alice.wait_ready());
    // Open every directory and the socket itself to everyone: only SO_PEERCRED is left.
    chmod(dir.path().c_str(), 0755);
    const std::string sock = alice.control();
    REQUIRE(chmod(sock.c_str(), 0666) == 0);
    RunResult other = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           MESHCALL_BIN, "status", "--control", sock},
                          5s);
    INFO(other.out << other.err);
    CHECK(other.status != 0);
    CHECK(other.out.find("bob") == std::string::npos);
    // The same request as the daemon's own user is answered.
    RunResult mine = run({MESHCALL_BIN, "status", "--control", sock}, 5s);
    CHECK(mine.status == 0);
    CHECK(mine.out.find("bob") != std::string::npos);
}

TEST_CASE(
    "a live socket means the room is already joined, a stale one is replaced, a symlink is "
    "refused") {
    TempDir dir;
    TestRoom room = make_room(dir, "twice", {"alice", "bob"});
    {
        Daemon alice(dir, room, "alice", {"--video", "none", "--audio", "none"});
        REQUIRE(alice.wait_ready());
        // Same control path, other peer entry (so the UDP port is free): refused, exit 1.
        RunResult again = run(
            {MESHCALLD_BIN, "--room", room.path, "--as", "bob", "--headless", "--video", "none",
             "--audio", "none", "--control", alice.control(), "--profile", dir.file("none.json")},
            5s);
        CHECK(again.status == 1);
        CHECK(again.err.find("already joined") != std::string::npos);
        CHECK(alice.status());
        alice.process().signal(SIGKILL);  // leaves its socket file behind
        alice.process().wait(2s);
        CHECK(access(alice.control().c_str(), F_OK) == 0);
    }
    Daemon alice2(dir, room, "alice", {"--video", "none", "--audio", "none"});
    CHECK(alice2.wait_ready());  // the stale socket was replaced
    alice2.process().signal(SIGTERM);
    CHECK(alice2.process().wait(2s) == 0);

    REQUIRE(symlink("/tmp/elsewhere", dir.file("evil.sock").c_str()) == 0);
    RunResult evil = run(
        {MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video", "none",
         "--audio", "none", "--control", dir.file("evil.sock"), "--profile", dir.file("none.json")},
        5s);
    CHECK(evil.status == 1);
    CHECK(evil.err.find("symbolic link") != std::string::npos);
}

TEST_CASE("meshcall mute, unmute and leave drive a running call") {
    TempDir dir;
    TestRoom room = make_room(dir, "drive", {"alice", "bob"});
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    RunResult m = run({MESHCALL_BIN, "mute", "audio", "--control", alice.control()}, 5s);
    CHECK(m.status == 0);
    CHECK((*alice.status())["self"]["audio_muted"] == true);
    CHECK((*alice.status())["self"]["video_muted"] == false);
    RunResult u = run({MESHCALL_BIN, "unmute", "all", "--control", alice.control()}, 5s);
    CHECK(u.status == 0);
    CHECK((*alice.status())["self"]["audio_muted"] == false);
    RunResult none = run({MESHCALL_BIN, "status", "--control", dir.file("nothing.sock")}, 5s);
    CHECK(none.status == 3);
    RunResult l = run({MESHCALL_BIN, "leave", "--control", alice.control()}, 5s);
    CHECK(l.status == 0);
    CHECK(alice.process().wait(2s) == 0);
}
