// StockPlayer: how stock ffmpeg/ffplay/mpv open one meshcall stream - every input flag a guest's
// player command uses, in one table, so that the flags for a fast first picture are tuned here.
#pragma once

#include <string>
#include <vector>

#include "config/room.hpp"

namespace meshcall {

struct StockPlayerFlags {
    std::vector<std::string> lavf_input;  // ffmpeg and ffplay, before each -i
    std::vector<std::string> ffplay;      // ffplay only (display and clock)
    std::vector<std::string> mpv;         // mpv, before the URL
    std::vector<std::string> grid_input;  // the grid's ffmpeg, before each input's lavf_input
    std::vector<std::string> pipe_input;  // ffplay reading the grid from a pipe, before "-"
};

// The flags (measured: docs/benchmarks.md, "A stock player's first picture").
StockPlayerFlags stock_player_flags();

// The URL a stock player opens to receive peers[from] as viewer peers[viewer]: its listed port +
// from. A loopback host is bound as listed; any other host (a LAN or public address, a DNS name)
// means all interfaces, since a listed address may be a NAT's that this machine cannot bind.
std::string stock_player_url(const Room& room, std::size_t viewer, std::size_t from);

}  // namespace meshcall
