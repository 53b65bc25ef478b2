// GuestCommands: the stock FFmpeg/mpv commands of a room's guest (a viewer or a sender), as
// argv arrays; `meshcall invite` prints them (docs/guests.md).
#pragma once

#include <string>
#include <vector>

#include "config/room.hpp"

namespace meshcall {

struct GuestCommand {
    std::string what;     // "ffplay", "mpv", "grid" (a viewer's) or "sender"
    std::string comment;  // one line for a person: what it does
    std::string peer;     // a player's: whose stream it plays
    int port = 0;         // a player's: where that stream arrives
    std::string os;       // a sender's: "linux", "linux-pulse", "macos" or "windows"
    std::vector<std::string> argv;
    std::vector<std::string> pipe_to;  // the grid's: the player its output is piped into
};

// For viewer peers[viewer]: an ffplay and an mpv per peer that sends, then the grid.
std::vector<GuestCommand> viewer_commands(const Room& room, std::size_t viewer);

// For sender peers[sender]: one ffmpeg per platform, sending to every peer that receives.
std::vector<GuestCommand> sender_commands(const Room& room, std::size_t sender);

}  // namespace meshcall
