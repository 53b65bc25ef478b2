// Test support: real child processes, deadlines, and waiting on conditions (never sleeping and
// hoping).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "client/child_process.hpp"

namespace meshcall::test {

// A child process, killed (SIGKILL) and reaped when the object goes away.
class Process {
  public:
    // Starts argv[0] with `argv`; stdout and stderr go to `log_path` (or /dev/null).
    Process(std::vector<std::string> argv, const std::string& log_path = "",
            std::vector<std::string> extra_env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int sig);
    // Waits up to `timeout` for the exit. Returns the exit status, 128+signal, or -1 on timeout.
    int wait(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    int status_ = -1;
    bool reaped_ = false;
};

struct RunResult {
    int status = -1;  // exit status, 128+signal, or -1 on timeout
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs a command to completion (bounded by `timeout`) and captures its output.
RunResult run(std::vector<std::string> argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(20),
              std::vector<std::string> extra_env = {});

// Marks the running test case as skipped, with why: prints "SKIPPED: why", which CTest's
// SKIP_REGULAR_EXPRESSION (tests/CMakeLists.txt) turns into a skipped test in its summary.
// The caller returns right after.
void skip_test(const std::string& why);

// Polls `condition` every 20 ms until it holds or `timeout` passes. Returns whether it held.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A fresh private directory under /tmp, removed with its contents when the object goes.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    void write(const std::string& name, const std::string& text) const;

  private:
    std::string path_;
};

std::string read_file(const std::string& path);

using meshcall::free_udp_port;  // client/child_process.hpp

// A UDP socket bound to 127.0.0.1:`port`, or -1.
int bound_udp(int port);
// Sends `size` bytes from `fd` to 127.0.0.1:`port` (errors ignored: a test counts what arrives).
void send_udp(int fd, int port, const void* data, std::size_t size);

// True if `program` is on PATH.
bool have_program(const std::string& program);

}  // namespace meshcall::test
