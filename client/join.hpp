// join: `meshcall join ROOM [options]` runs the call in the foreground by becoming meshcalld
// (exec, same pid: Ctrl-C and signals reach the call directly). The CLI links no media code.
#pragma once

#include "config/call_config.hpp"

namespace meshcall {

// Replaces this process with meshcalld for `args`; returns only on failure (exit status 1).
int run_join(const CallArgs& args);

}  // namespace meshcall
