// ChildProcess: starting programs and finding meshcalld, for `meshcall join` and `meshcall demo`
// (and the tests, which start real processes the same way). Any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace meshcall {

// Starts argv[0] (searched on PATH) with stdin from /dev/null and stdout/stderr on `out_fd` /
// `err_fd` (-1: inherited). `extra_env` ("NAME=value") replaces inherited variables of the same
// name. Returns the pid, or -1.
pid_t spawn_process(const std::vector<std::string>& argv, int out_fd, int err_fd,
                    const std::vector<std::string>& extra_env = {});

// A waitpid() status as an exit status: the code, or 128 + the signal.
int exit_status_of(int wait_status);

// meshcalld beside this program (installed), in the build tree's daemon/, or on PATH.
std::string find_meshcalld();

// A UDP port that was free on 127.0.0.1 a moment ago (bind to 0, read it back, close), or -1.
int free_udp_port();

}  // namespace meshcall
