// Logging: one spdlog logger; each line names the thread's role. FFmpeg's log goes through it.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace meshcall {

// verbosity: 0 = warnings and errors (default), 1 = info (-v), 2 = debug (-vv), 3+ = trace.
void init_logging(int verbosity);

// Names the calling thread's role ("main", "loop", "send", "recv:bob") in its log lines
// and in the process's thread list (pthread name, 15 characters at most).
void set_thread_role(const std::string& role);

}  // namespace meshcall
