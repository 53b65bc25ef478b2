// Test support: a stock ffmpeg watching a meshcall stream, as a guest's player would.
#pragma once

#include <string>
#include <vector>

namespace meshcall::test {

// argv of a stock ffmpeg watching the stream at 127.0.0.1:`port` until it has been quiet for
// 5 s, decoding `maps` (e.g. {"0:v"} or {"0:v", "0:a"}); every frame decoded is counted
// (-fps_mode passthrough: none made up or dropped to fit a rate) in its last progress line.
std::vector<std::string> stock_watcher(int port, const std::vector<std::string>& maps = {"0:v"});

// The frames the last progress line ("frame=  N") of an ffmpeg run's stderr reports, or -1.
long frames_decoded(const std::string& ffmpeg_stderr);

// True once some other socket holds 127.0.0.1:`port` (a player has bound it): a test starts
// the stream once its player listens, not after a sleep.
bool udp_port_taken(int port);

}  // namespace meshcall::test
