// StockPlayer: the input flags of guests' player commands (docs/guests.md explains each).
#include "client/stock_player.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace meshcall {

namespace {

constexpr int kTsPacket = 188;
constexpr int kMinFifoPackets = 4096;

// Bytes of one peer's stream in `seconds`.
int stream_bytes(const Room& room, int seconds) {
    return seconds * (room.video.bitrate_kbps + room.audio.bitrate_kbps) * 1000 / 8;
}

// The udp protocol's receive FIFO, in 188-byte packets: about two seconds of one peer's stream.
int fifo_packets(const Room& room) {
    return std::max(kMinFifoPackets, stream_bytes(room, 2) / kTsPacket);
}

bool is_loopback(const PeerEntry& p) {
    if (p.address.family() == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(p.address.sa());
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(p.address.sa());
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

// The resolved IP of a peer, without brackets or port.
std::string ip_text(const PeerEntry& p) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* bytes =
        p.address.family() == AF_INET
            ? static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in*>(p.address.sa())->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(p.address.sa())->sin6_addr);
    inet_ntop(p.address.family(), bytes, text, sizeof text);
    return text;
}

}  // namespace

StockPlayerFlags stock_player_flags() {
    StockPlayerFlags f;
    // Measured (bench/player_flags.py, docs/benchmarks.md): a 32-byte probe returns as soon as
    // the PMT names the streams (H.264, Opus), so the player starts decoding at once instead of
    // probing ~5 s of stream; the decoder then shows the first whole picture (at once after an
    // IDR, else within one refresh period). -analyzeduration 0 never comes into play with it.
    // nobuffer: no probed packets held back; low_delay: ~80 ms less.
    f.lavf_input = {"-fflags", "nobuffer",         "-flags", "low_delay", "-probesize",
                    "32",      "-analyzeduration", "0",      "-f",        "mpegts"};
    // Drop late frames, and follow an external clock that ffplay speeds up when its queues grow
    // (for real-time inputs), so the delay does not build up.
    f.ffplay = {"-framedrop", "-sync", "ext"};
    // mpv's low-latency profile: no cache, no demuxer buffering, and no stream-info probe when
    // the PMT already names the streams; --untimed shows each picture as soon as it is decoded.
    f.mpv = {"--profile=low-latency", "--untimed", "--demuxer-lavf-format=mpegts",
             "--demuxer-lavf-probesize=32"};
    // The grid: each input's packets stamped with the time they arrived, so that peers whose
    // streams started at different moments line up by arrival (no input waits for another; the
    // inputs opened first drain at once), and room between each input's reading thread and the
    // decoders for the packets that arrive while the later inputs are still being opened.
    f.grid_input = {"-thread_queue_size", "512", "-use_wallclock_as_timestamps", "1"};
    // The grid's pipe: NUT's header already says everything, so nothing is probed.
    f.pipe_input = {"-fflags", "nobuffer",         "-flags", "low_delay", "-probesize",
                    "32",      "-analyzeduration", "0",      "-f",        "nut"};
    return f;
}

std::string stock_player_url(const Room& room, std::size_t viewer, std::size_t from) {
    const PeerEntry& v = room.peers[viewer];
    const std::string port = std::to_string(room.destination(viewer, from).port());
    const bool v6 = v.address.family() == AF_INET6;
    std::string url;
    if (is_loopback(v)) {
        const std::string ip = ip_text(v);
        url = "udp://" + (v6 ? "[" + ip + "]" : ip) + ":" + port + "?localaddr=" + ip;
    } else
        url = std::string(v6 ? "udp://[::]:" : "udp://@:") + port + "?";
    if (url.back() != '?') url += "&";
    return url + "fifo_size=" + std::to_string(fifo_packets(room)) + "&overrun_nonfatal=1";
}

}  // namespace meshcall
