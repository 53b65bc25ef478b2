// GuestCommands for a viewer: a player per sending peer at its port, and a one-window grid.
#include <algorithm>

#include "client/grid_filter.hpp"
#include "client/guest_commands.hpp"
#include "client/stock_player.hpp"

namespace meshcall {

namespace {

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

// The peers whose streams reach peers[viewer], in room order.
std::vector<std::size_t> senders_to(const Room& room, std::size_t viewer) {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < room.peers.size(); ++k)
        if (k != viewer && room.peers[k].sends()) out.push_back(k);
    return out;
}

// `player` watching peers[k] at the viewer's port for it; `argv` up to the title and URL.
GuestCommand player_command(const Room& room, std::size_t viewer, std::size_t k,
                            const std::string& player, std::vector<std::string> argv) {
    GuestCommand c;
    c.what = player;
    c.peer = room.peers[k].name;
    c.port = room.destination(viewer, k).port();
    c.comment = c.peer + " with " + player + " (port " + std::to_string(c.port) + ")";
    c.argv = std::move(argv);
    if (player == "ffplay")
        append(c.argv, {"-window_title", c.peer});
    else
        c.argv.push_back("--title=" + c.peer);
    c.argv.push_back(stock_player_url(room, viewer, k));
    return c;
}

GuestCommand ffplay_command(const Room& room, std::size_t viewer, std::size_t k,
                            const StockPlayerFlags& f) {
    std::vector<std::string> argv = {"ffplay", "-hide_banner"};
    append(argv, f.lavf_input);
    append(argv, f.ffplay);
    return player_command(room, viewer, k, "ffplay", std::move(argv));
}

GuestCommand mpv_command(const Room& room, std::size_t viewer, std::size_t k,
                         const StockPlayerFlags& f) {
    std::vector<std::string> argv = {"mpv"};
    append(argv, f.mpv);
    return player_command(room, viewer, k, "mpv", std::move(argv));
}

// One even dimension, half the room's (at least 16).
int half_even(int size) {
    return std::max(16, size / 2 / 2 * 2);
}

GuestCommand grid_command(const Room& room, std::size_t viewer,
                          const std::vector<std::size_t>& from, const StockPlayerFlags& f) {
    GuestCommand c;
    c.what = "grid";
    c.comment = "everyone in one window: stock ffmpeg decodes, tiles and mixes the " +
                std::to_string(from.size()) + " streams into ffplay";
    c.argv = {"ffmpeg", "-hide_banner", "-nostdin"};
    for (std::size_t k : from) {
        append(c.argv, f.grid_input);
        append(c.argv, f.lavf_input);
        append(c.argv, {"-i", stock_player_url(room, viewer, k)});
    }
    const std::string graph =
        grid_filtergraph(static_cast<int>(from.size()), half_even(room.video.width),
                         half_even(room.video.height), room.video.fps);
    // Raw pictures and PCM through the pipe: no second encode, no added delay.
    append(c.argv, {"-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "rawvideo",
                    "-c:a", "pcm_s16le", "-f", "nut", "-"});
    c.pipe_to = {"ffplay", "-hide_banner"};
    append(c.pipe_to, f.pipe_input);
    append(c.pipe_to, f.ffplay);
    append(c.pipe_to, {"-window_title", room.name, "-"});
    return c;
}

}  // namespace

std::vector<GuestCommand> viewer_commands(const Room& room, std::size_t viewer) {
    const StockPlayerFlags flags = stock_player_flags();
    const std::vector<std::size_t> from = senders_to(room, viewer);
    std::vector<GuestCommand> out;
    for (std::size_t k : from) {
        out.push_back(ffplay_command(room, viewer, k, flags));
        out.push_back(mpv_command(room, viewer, k, flags));
    }
    if (!from.empty()) out.push_back(grid_command(room, viewer, from, flags));
    return out;
}

}  // namespace meshcall
