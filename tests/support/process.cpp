// Test support: processes, polling with deadlines, temporary directories.
#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace meshcall::test {

Process::Process(std::vector<std::string> argv, const std::string& log_path,
                 std::vector<std::string> extra_env) {
    int fd = open(log_path.empty() ? "/dev/null" : log_path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid_ = spawn_process(argv, fd, fd, extra_env);
    if (fd >= 0) close(fd);
}

Process::~Process() {
    if (pid_ > 0 && !reaped_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
    }
}

bool Process::running() {
    if (pid_ <= 0 || reaped_) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = exit_status_of(status);
        return false;
    }
    return true;
}

void Process::signal(int sig) {
    if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
    if (!wait_until([this] { return !running(); }, timeout)) return -1;
    return status_;
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
              std::vector<std::string> extra_env) {
    RunResult r;
    char out_path[] = "/tmp/meshcall-test-out-XXXXXX";
    char err_path[] = "/tmp/meshcall-test-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    pid_t pid = spawn_process(argv, out_fd, err_fd, extra_env);
    close(out_fd);
    close(err_fd);
    if (pid > 0) {
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                r.status = exit_status_of(status);
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    unlink(out_path);
    unlink(err_path);
    return r;
}

void skip_test(const std::string& why) {
    std::printf("SKIPPED: %s\n", why.c_str());
    std::fflush(stdout);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/meshcall-test-XXXXXX";
    path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int bound_udp(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void send_udp(int fd, int port, const void* data, std::size_t size) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    (void)sendto(fd, data, size, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

bool have_program(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':'))
        if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    return false;
}

}  // namespace meshcall::test
