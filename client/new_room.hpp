// new-room: `meshcall new-room FILE --room NAME --peer NAME=HOST:PORT ... [--security ...]`
// writes a room file (mode 0600) with a fresh secret, checked by the same parser as every room.
#pragma once

#include <string>
#include <vector>

namespace meshcall {

struct NewRoomArgs {
    std::string path;                  // the file to write
    std::string room;                  // --room NAME
    std::vector<std::string> peers;    // --peer NAME=HOST:PORT (participants), in order
    std::vector<std::string> viewers;  // --viewer NAME=HOST:PORT (stock players)
    std::vector<std::string> senders;  // --sender NAME=HOST:PORT (stock ffmpeg senders)
    std::string security = "room";     // room | keys | none
    bool force = false;                // replace an existing file
};

// Writes the room; prints a one-line summary on stdout and the next steps on stderr. Returns
// the exit status: 0, or 2 (a bad option or room, a file already there without --force).
int run_new_room(const NewRoomArgs& args);

}  // namespace meshcall
