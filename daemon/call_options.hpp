// CallOptions: the command-line options of a call, shared by `meshcalld` and `meshcall join`,
// and the one function both use to run a call and turn its outcome into an exit status.
#pragma once

#include <CLI/CLI.hpp>

#include "config/call_config.hpp"

namespace meshcall {

// Exit statuses (documented in --help and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoCall = 3;

// Adds --as, --video, --audio, --headless, --control, --profile, -v to `app`.
void add_call_options(CLI::App& app, CallArgs& args);

// Resolves the configuration, sets up logging and runs the call to its end.
// Returns the exit status; prints the reason for any failure on stderr.
int run_call(const CallArgs& args);

}  // namespace meshcall
