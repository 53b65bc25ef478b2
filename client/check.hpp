// check: `meshcall check ROOM.json [--as NAME] [--probe]` - validate a room file and show the
// call; with --probe, also what the internet sees of NAME's port (client/reachability).
#pragma once

#include <string>

namespace meshcall {

// Prints the call as meshcall understands it; returns the exit status (0, or 2 on a bad file).
// `probe`: then asks the home router about NAME's port; its outcome never changes the status.
int run_check(const std::string& room_path, const std::string& as, bool probe = false);

}  // namespace meshcall
