// demo: runs N meshcalld processes on loopback and shows the call.
#include "client/demo.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/child_process.hpp"
#include "client/commands.hpp"
#include "client/control_client.hpp"

namespace meshcall {

namespace {

volatile sig_atomic_t g_interrupted = 0;

const char* kNames[16] = {"alice", "bob",  "carol", "dave", "erin",    "frank", "grace",  "heidi",
                          "ivan",  "judy", "kim",   "leo",  "mallory", "niaj",  "olivia", "peggy"};

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t pid = spawn_process(argv, fd, fd);
    if (fd >= 0) close(fd);
    return pid;
}

// Waits up to `ms` for `pid`; returns its exit status, or -1.
int wait_exit(pid_t pid, int ms) {
    for (int waited = 0;; waited += 20) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) return exit_status_of(status);
        if (waited >= ms) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

namespace {

// The demo's room file in `dir`: `peers` participants on loopback. Four at the room defaults;
// more at a quarter of the pixels, for small machines. Returns its path.
std::string write_demo_room(const std::string& dir, int peers) {
    const int w = peers <= 4 ? 640 : 320, h = peers <= 4 ? 480 : 240;
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < peers; ++i)
        list.push_back({{"name", kNames[i]}, {"host", "127.0.0.1"}, {"port", free_udp_port()}});
    nlohmann::json room = {
        {"room", "demo"},
        {"video",
         {{"width", w}, {"height", h}, {"fps", 30}, {"bitrate_kbps", peers <= 4 ? 1000 : 400}}},
        {"audio", {{"bitrate_kbps", 32}}},
        {"peers", list}};
    const std::string room_path = dir + "/demo.json";
    std::ofstream(room_path) << room.dump(2) << "\n";
    return room_path;
}

// Starts every participant; alice draws the window (or snapshots). Empty after a failure, the
// ones already started told to leave.
std::vector<pid_t> start_participants(const std::string& dir, const std::string& room_path,
                                      int peers, bool window, const std::string& snapshot) {
    const std::string meshcalld = find_meshcalld();
    std::vector<pid_t> pids;
    for (int i = 0; i < peers; ++i) {
        const std::string name = kNames[i];
        std::vector<std::string> argv = {meshcalld,
                                         "--room",
                                         room_path,
                                         "--as",
                                         name,
                                         "--video",
                                         "test",
                                         "--audio",
                                         "tone",
                                         "--control",
                                         dir + "/" + name + ".sock",
                                         "--profile",
                                         dir + "/no-profile.json"};
        if (i > 0 || !window) argv.push_back("--headless");
        if (i == 0) argv.insert(argv.end(), {"--snapshot", snapshot});
        pids.push_back(spawn(argv, dir + "/" + name + ".log"));
        if (pids.back() < 0) {
            std::fprintf(stderr, "meshcall demo: cannot start %s\n", meshcalld.c_str());
            for (pid_t p : pids)
                if (p > 0) kill(p, SIGTERM);
            return {};
        }
    }
    return pids;
}

// Waits `seconds`, or until alice's window is closed (true), or Ctrl-C.
bool wait_for_the_end(pid_t alice, double seconds) {
    const auto end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
    while (!g_interrupted && std::chrono::steady_clock::now() < end) {
        int status = 0;
        if (waitpid(alice, &status, WNOHANG) == alice) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// Everyone leaves (each tells the others); returns how many did not leave cleanly.
int leave_all(const std::string& dir, const std::vector<pid_t>& pids, bool alice_gone) {
    const int peers = static_cast<int>(pids.size());
    for (int i = alice_gone ? 1 : 0; i < peers; ++i) {
        std::string error;
        control_request(dir + "/" + kNames[i] + ".sock", LeaveRequest{}, error, 2000);
    }
    int failures = 0;
    for (int i = alice_gone ? 1 : 0; i < peers; ++i) {
        const pid_t pid = pids[static_cast<std::size_t>(i)];
        const int rc = wait_exit(pid, 3000);
        if (rc == 0) continue;
        std::fprintf(stderr, "meshcall demo: %s did not leave cleanly (%d); see %s/%s.log\n",
                     kNames[i], rc, dir.c_str(), kNames[i]);
        if (rc < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        ++failures;
    }
    return failures;
}

}  // namespace

int run_demo(int peers, double seconds) {
    char tmpl[] = "/tmp/meshcall-demo-XXXXXX";
    if (!mkdtemp(tmpl)) {
        std::perror("meshcall demo: cannot create a directory in /tmp");
        return 1;
    }
    const std::string dir = tmpl;
    const bool window = std::getenv("DISPLAY") && *std::getenv("DISPLAY");
    const std::string room_path = write_demo_room(dir, peers), snapshot = dir + "/grid.png";
    std::printf("meshcall demo: %d participants on this machine, test patterns and tones, %g s\n",
                peers, seconds);
    std::printf("  room %s, logs in %s\n", room_path.c_str(), dir.c_str());
    std::printf("  %s\n", window ? "alice's window shows the call (q leaves early)"
                                 : "no display: alice draws the call into a snapshot instead");
    std::fflush(stdout);
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_interrupted = 1; };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    const std::vector<pid_t> pids = start_participants(dir, room_path, peers, window, snapshot);
    if (pids.empty()) return 1;
    const bool alice_gone = wait_for_the_end(pids[0], seconds);
    if (!alice_gone) {
        const std::string alice_sock = dir + "/alice.sock";
        std::printf("\n");
        run_status({"", alice_sock}, false);
        std::string error;
        control_request(alice_sock, SnapshotRequest{snapshot}, error);
    }
    const int failures = leave_all(dir, pids, alice_gone);
    if (access(snapshot.c_str(), F_OK) == 0)
        std::printf("\nsnapshot of alice's view: %s\n", snapshot.c_str());
    std::printf("the call ended%s\n", failures ? " with errors" : " cleanly");
    return failures ? 1 : 0;
}

}  // namespace meshcall
