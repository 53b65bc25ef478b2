// Test support: rooms with guests (viewers and senders) on loopback, and the rewrites that turn
// `meshcall invite --json` commands into ones a test can run (test sources for devices, no window).
#pragma once

#include <string>
#include <vector>

#include "tests/support/test_room.hpp"

namespace meshcall::test {

struct GuestRoomPeer {
    std::string name;
    std::string role;  // "viewer", "sender", or "" for a participant
};

// A room file `room_name`.json in `dir`, every peer on 127.0.0.1. Peer i gets port base + i * n
// (n peers) in a block of n * n ports found free, so a viewer's port + k are free too.
TestRoom make_guest_room(const TempDir& dir, const std::string& room_name,
                         const std::vector<GuestRoomPeer>& peers, int width = 320, int height = 240,
                         int bitrate_kbps = 400);

// argv with the input whose -i value is `device` (from its -f up to and including -i DEVICE)
// replaced by `input`. Fails the test if there is no such input.
std::vector<std::string> replace_input(std::vector<std::string> argv, const std::string& device,
                                       const std::vector<std::string>& input);

// A viewer's ffplay command (from `meshcall invite --json`) as a stock ffmpeg with the same
// input flags and URL, which a test can run without a window: ffplay's own options (-framedrop,
// -sync, -window_title) dropped, `url_options` ("&timeout=...") added to the URL, the decoded
// stream going to `output`.
std::vector<std::string> ffplay_as_ffmpeg(const std::vector<std::string>& ffplay_argv,
                                          const std::string& url_options,
                                          const std::vector<std::string>& output);

// argv with its output (the last three arguments: -f FORMAT -) replaced by `output`.
std::vector<std::string> replace_output(std::vector<std::string> argv,
                                        const std::vector<std::string>& output);

}  // namespace meshcall::test
