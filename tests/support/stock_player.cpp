// Test support: a stock ffmpeg player.
#include "tests/support/stock_player.hpp"

#include <unistd.h>

#include <cstdlib>

#include "tests/support/process.hpp"

namespace meshcall::test {

std::vector<std::string> stock_watcher(int port, const std::vector<std::string>& maps) {
    std::vector<std::string> argv = {
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "info",
        "-f",
        "mpegts",
        "-i",
        "udp://127.0.0.1:" + std::to_string(port) +
            "?localaddr=127.0.0.1&timeout=5000000&fifo_size=100000&overrun_nonfatal=1"};
    for (const auto& m : maps) argv.insert(argv.end(), {"-map", m});
    argv.insert(argv.end(), {"-fps_mode", "passthrough", "-f", "null", "-"});
    return argv;
}

long frames_decoded(const std::string& err) {
    const auto pos = err.rfind("frame=");
    return pos == std::string::npos ? -1 : std::atol(err.c_str() + pos + 6);
}

bool udp_port_taken(int port) {
    const int fd = bound_udp(port);
    if (fd >= 0) close(fd);
    return fd < 0;
}

}  // namespace meshcall::test
