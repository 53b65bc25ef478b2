// run_call: the one function meshcalld uses to run a call and turn its outcome into an exit
// status (protocol/exit_codes.hpp). Main thread.
#pragma once

#include "config/call_config.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

// Resolves the configuration, sets up logging and runs the call to its end.
// Returns the exit status; prints the reason for any failure on stderr.
int run_call(const CallArgs& args);

}  // namespace meshcall
