// ControlPath: where a call's control socket lives (README, "The control socket and the CLI"),
// agreed on by the daemon and the CLI. Any thread.
#pragma once

#include <string>

namespace meshcall {

// $XDG_RUNTIME_DIR/meshcall (or /tmp/meshcall-UID when it is unset) and a room's socket in it.
std::string control_dir();
std::string control_path_for_room(const std::string& room);

}  // namespace meshcall
