// meshcall join: a call in the foreground, "me" from the profile, left from the CLI.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE(
    "meshcall join takes the name from the profile, and meshcall leave ends it with status 0") {
    TempDir dir;
    TestRoom room = make_room(dir, "join", {"alice", "bob"});
    const std::string config = dir.file("config");
    const std::string runtime = dir.file("run");
    REQUIRE(run({"mkdir", "-p", config + "/meshcall", runtime}, 5s).status == 0);
    dir.write("config/meshcall/profile.json",
              R"({"name": "bob", "video": "test", "audio": "tone"})");
    const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + config,
                                          "XDG_RUNTIME_DIR=" + runtime};
    Process bob({MESHCALL_BIN, "join", room.path, "--headless"}, dir.file("bob.log"), env);
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    CHECK(wait_until([&] { return alice.peer("bob").value("video_frames", 0) > 10; }, 10s));
    // The CLI finds the one running call of this user without being told which.
    RunResult status = run({MESHCALL_BIN, "status"}, 5s, env);
    CHECK(status.status == 0);
    CHECK(status.out.find("you are bob") != std::string::npos);
    CHECK(status.out.find("alice") != std::string::npos);
    RunResult list = run({MESHCALL_BIN, "list"}, 5s, env);
    CHECK(list.out.find("join") != std::string::npos);
    RunResult leave = run({MESHCALL_BIN, "leave"}, 5s, env);
    CHECK(leave.status == 0);
    CHECK(bob.wait(2s) == 0);
    CHECK(wait_until([&] { return alice.peer("bob")["state"] == "left"; }, 1s));
    RunResult none = run({MESHCALL_BIN, "status"}, 5s, env);
    CHECK(none.status == 3);
}

TEST_CASE("meshcall join with no --as and no profile name says what to do, status 2") {
    TempDir dir;
    TestRoom room = make_room(dir, "who", {"alice", "bob"});
    RunResult r =
        run({MESHCALL_BIN, "join", room.path, "--headless"}, 5s, {"XDG_CONFIG_HOME=" + dir.path()});
    CHECK(r.status == 2);
    CHECK(r.err.find("--as NAME") != std::string::npos);
}

TEST_CASE("Ctrl-C (SIGINT) on meshcall join leaves cleanly") {
    TempDir dir;
    TestRoom room = make_room(dir, "ctrlc", {"alice", "bob"});
    Process alice(
        {MESHCALL_BIN, "join", room.path, "--as", "alice", "--headless", "--video", "test",
         "--audio", "none", "--control", dir.file("a.sock"), "--profile", dir.file("none.json")},
        dir.file("alice.log"));
    Daemon bob(dir, room, "bob");
    REQUIRE(bob.wait_ready());
    REQUIRE(wait_until([&] { return bob.peer("alice")["state"] == "connected"; }, 5s));
    alice.signal(SIGINT);
    CHECK(alice.wait(2s) == 0);
    CHECK(wait_until([&] { return bob.peer("alice")["state"] == "left"; }, 1s));
}
