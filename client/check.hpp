// check: `meshcall check ROOM.json [--as NAME]` - validate a room file and show the call.
#pragma once

#include <string>

namespace meshcall {

// Prints the call as meshcall understands it; returns the exit status (0, or 2 on a bad file).
int run_check(const std::string& room_path, const std::string& as);

}  // namespace meshcall
