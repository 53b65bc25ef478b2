// invite: `meshcall invite ROOM.json --as NAME [--json]` - print a guest's stock FFmpeg/mpv
// commands (docs/guests.md).
#pragma once

#include <string>

namespace meshcall {

// Prints the commands of guest `as` (a viewer or a sender) as text or JSON; returns the exit
// status: 0, or 2 for a bad room file, an unknown name or a participant.
int run_invite(const std::string& room_path, const std::string& as, bool json);

}  // namespace meshcall
