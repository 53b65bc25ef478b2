// meshcall-bench-replay: a cheap stand-in participant. Sends a pre-encoded MPEG-TS file over UDP
// at real time from one room address to another, the way meshcalld would: each PES (with the
// PAT/PMT/SDT before it) leaves at its DTS as datagrams of at most 7 TS packets. Loops the file
// with continuity counters, PTS/DTS and PCR carried on, so a receiver sees one endless stream.
// Drains what is sent to its own address (counting it), so the participant under test sends to
// a live socket. A short stall (a busy machine) is caught up by sending late; after more than a
// second (SIGSTOP) what was missed is skipped, like a network cut, instead of bursting it.
//
//   meshcall-bench-replay --file F.ts --from 127.0.0.2:41340 --to 127.0.0.1:41340
//                         [--offset SECONDS] [--seconds SECONDS]
// SIGTERM/SIGINT end it; SIGUSR1 prints "rx BYTES DATAGRAMS tx BYTES DATAGRAMS skipped UNITS".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/cli.hpp"
#include "bench/endpoint.hpp"

namespace {

constexpr std::size_t kTs = 188;
constexpr std::size_t kPerDatagram = 7;
constexpr int64_t kLateSkipUs = 1'000'000;

volatile std::sig_atomic_t g_stop = 0, g_report = 0;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "meshcall-bench-replay: %s\n", what.c_str());
    std::exit(2);
}

int64_t mono_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// 33-bit PTS/DTS in its 5-byte PES form, keeping the 4-bit prefix.
int64_t read_ts(const uint8_t* p) {
    return (int64_t(p[0] >> 1 & 7) << 30) | (int64_t(p[1]) << 22) | (int64_t(p[2] >> 1) << 15) |
           (int64_t(p[3]) << 7) | (p[4] >> 1);
}
void write_ts(uint8_t* p, int64_t v) {
    v &= (int64_t{1} << 33) - 1;
    p[0] = static_cast<uint8_t>((p[0] & 0xf0) | ((v >> 29) & 0x0e) | 1);
    p[1] = static_cast<uint8_t>(v >> 22);
    p[2] = static_cast<uint8_t>(((v >> 14) & 0xfe) | 1);
    p[3] = static_cast<uint8_t>(v >> 7);
    p[4] = static_cast<uint8_t>(((v << 1) & 0xfe) | 1);
}

struct Packet {
    int pid;
    bool payload;
    int pcr_at = -1;  // byte offset of the PCR in the packet
    int pts_at = -1;  // byte offsets of PTS/DTS when this packet starts a PES
    int dts_at = -1;
};

Packet inspect(const uint8_t* p) {
    Packet k{((p[1] & 0x1f) << 8) | p[2], (p[3] & 0x10) != 0};
    int pos = 4;
    if (p[3] & 0x20) {
        const int len = p[4];
        if (len > 0 && (p[5] & 0x10)) k.pcr_at = 6;
        pos = 5 + len;
    }
    const bool pusi = (p[1] & 0x40) != 0;
    if (pusi && k.payload && pos + 14 <= int(kTs) && p[pos] == 0 && p[pos + 1] == 0 &&
        p[pos + 2] == 1) {
        const int flags = p[pos + 7] >> 6;
        if (flags & 2) k.pts_at = pos + 9;
        if (flags == 3 && pos + 19 <= int(kTs)) k.dts_at = pos + 14;
    }
    return k;
}

// What leaves at one instant: [first, first + count) packets, at `t90` (90 kHz, from 0).
struct Unit {
    std::size_t first, count;
    int64_t t90;
};

}  // namespace

int main(int argc, char** argv) {
    std::string file, from, to;
    double offset_s = 0, seconds = 0;
    CLI::App app{
        "meshcall-bench-replay: sends a pre-encoded MPEG-TS file at real time from a "
        "room address",
        "meshcall-bench-replay"};
    app.add_option("--file", file, "The TS file")->required()->check(CLI::ExistingFile);
    app.add_option("--from", from, "Send from HOST:PORT")
        ->required()
        ->check(meshcall::bench::check_endpoint);
    app.add_option("--to", to, "Send to HOST:PORT")
        ->required()
        ->check(meshcall::bench::check_endpoint);
    app.add_option("--offset", offset_s, "Start this many seconds into the file")
        ->check(CLI::Range(0.0, 86400.0));
    app.add_option("--seconds", seconds, "Stop after this long (0: the whole file)")
        ->check(CLI::Range(0.0, 86400.0));
    if (auto rc = meshcall::bench::parse_cli(app, argc, argv)) return *rc;

    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> ts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ts.resize(ts.size() / kTs * kTs);
    const std::size_t n = ts.size() / kTs;
    if (n == 0) die(file + ": empty or unreadable");

    // Cut the file into units: a PES start (or a PSI table after one) begins a new unit.
    std::vector<Packet> pk(n);
    std::vector<Unit> units;
    int pmt_pid = -1;
    bool unit_has_pes = false;
    for (std::size_t i = 0; i < n; ++i) {
        const uint8_t* p = &ts[i * kTs];
        if (p[0] != 0x47) die(file + ": lost TS sync at packet " + std::to_string(i));
        pk[i] = inspect(p);
        if (pk[i].pid == 0 && (p[1] & 0x40) && pmt_pid < 0) {  // PAT: the first program's PMT PID
            const uint8_t* s = p + 5 + p[4];
            const int len = ((s[1] & 0x0f) << 8) | s[2];
            for (int e = 8; e + 4 <= 3 + len - 4; e += 4)
                if (((s[e] << 8) | s[e + 1]) != 0) {
                    pmt_pid = ((s[e + 2] & 0x1f) << 8) | s[e + 3];
                    break;
                }
        }
        const bool psi = pk[i].pid < 0x20 || pk[i].pid == pmt_pid;
        const bool pes_start = pk[i].pts_at >= 0;
        if (units.empty() || ((pes_start || psi) && unit_has_pes)) {
            units.push_back({i, 0, units.empty() ? 0 : units.back().t90});
            unit_has_pes = false;
        }
        ++units.back().count;
        if (pes_start) {
            unit_has_pes = true;
            units.back().t90 = read_ts(p + (pk[i].dts_at >= 0 ? pk[i].dts_at : pk[i].pts_at));
        }
    }
    // Times from 0, never going back (audio and video PES interleave around each other).
    int64_t t0 = INT64_MAX, last = 0;
    for (const auto& u : units)
        if (u.t90 > 0 && u.t90 < t0) t0 = u.t90;
    if (t0 == INT64_MAX) die(file + ": no timestamps");
    for (auto& u : units) last = u.t90 = std::max(last, std::max<int64_t>(0, u.t90 - t0));
    const int64_t period90 = last + 3000;  // one more video frame at 30 fps
    const int64_t period_us = period90 * 100 / 9;

    const sockaddr_in src = *meshcall::bench::parse_endpoint(from),
                      dst = *meshcall::bench::parse_endpoint(to);
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0)
        die("cannot bind " + from + ": " + std::strerror(errno));

    struct sigaction sa {};
    sa.sa_handler = [](int s) { (s == SIGUSR1 ? g_report : g_stop) = 1; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);

    // Start `offset` seconds into the file so that several replayers are not in step.
    const int64_t offset_us =
        static_cast<int64_t>(std::fmod(std::max(0.0, offset_s), period_us / 1e6) * 1e6);
    std::size_t u = 0;
    while (u < units.size() && units[u].t90 * 100 / 9 < offset_us) ++u;
    int64_t loop = 0;
    const int64_t start = mono_us() + 20'000 - offset_us;
    const int64_t end = seconds > 0 ? mono_us() + static_cast<int64_t>(seconds * 1e6) : INT64_MAX;
    std::vector<uint8_t> cc(8192, 0xff);  // next continuity counter per PID (0xff: take the file's)
    uint64_t rx_bytes = 0, rx_dgrams = 0, tx_bytes = 0, tx_dgrams = 0, skipped = 0;
    uint8_t dgram[kTs * kPerDatagram], rxbuf[65536];

    while (!g_stop && mono_us() < end) {
        if (u == units.size()) {
            u = 0;
            ++loop;
        }
        const Unit& unit = units[u];
        const int64_t due = start + loop * period_us + unit.t90 * 100 / 9;
        for (;;) {  // wait for `due`, draining the socket meanwhile
            const int64_t now = mono_us();
            if (g_report) {
                g_report = 0;
                std::printf("rx %llu %llu tx %llu %llu skipped %llu\n",
                            (unsigned long long)rx_bytes, (unsigned long long)rx_dgrams,
                            (unsigned long long)tx_bytes, (unsigned long long)tx_dgrams,
                            (unsigned long long)skipped);
                std::fflush(stdout);
            }
            if (now >= due || g_stop) break;
            pollfd pfd{fd, POLLIN, 0};
            const int64_t wait = due - now;
            timespec tmo{static_cast<time_t>(wait / 1'000'000),
                         static_cast<long>(wait % 1'000'000) * 1000};
            if (ppoll(&pfd, 1, &tmo, nullptr) > 0) {
                ssize_t r;
                while ((r = recv(fd, rxbuf, sizeof rxbuf, MSG_DONTWAIT)) >= 0) {
                    rx_bytes += static_cast<uint64_t>(r);
                    ++rx_dgrams;
                }
            }
        }
        if (g_stop) break;
        if (mono_us() - due > kLateSkipUs) {  // we were stopped: what was missed is lost
            for (std::size_t i = unit.first; i < unit.first + unit.count; ++i) {
                uint8_t& next = cc[static_cast<std::size_t>(pk[i].pid)];
                if (pk[i].payload && next != 0xff) next = static_cast<uint8_t>((next + 1) & 0x0f);
            }
            ++skipped;
            ++u;
            continue;
        }
        const int64_t shift90 = loop * period90;
        std::size_t fill = 0;
        for (std::size_t i = unit.first; i < unit.first + unit.count; ++i) {
            uint8_t* p = dgram + fill * kTs;
            std::memcpy(p, &ts[i * kTs], kTs);
            const Packet& k = pk[i];
            if (k.payload) {  // continuity counters carry on across loops and skips
                uint8_t& next = cc[static_cast<std::size_t>(k.pid)];
                if (next != 0xff) p[3] = static_cast<uint8_t>((p[3] & 0xf0) | next);
                next = static_cast<uint8_t>(((p[3] & 0x0f) + 1) & 0x0f);
            }
            if (shift90) {
                if (k.pts_at >= 0) write_ts(p + k.pts_at, read_ts(p + k.pts_at) + shift90);
                if (k.dts_at >= 0) write_ts(p + k.dts_at, read_ts(p + k.dts_at) + shift90);
                if (k.pcr_at >= 0) {
                    uint8_t* c = p + k.pcr_at;
                    int64_t base = (int64_t(c[0]) << 25) | (c[1] << 17) | (c[2] << 9) |
                                   (c[3] << 1) | (c[4] >> 7);
                    base = (base + shift90) & ((int64_t{1} << 33) - 1);
                    c[0] = static_cast<uint8_t>(base >> 25);
                    c[1] = static_cast<uint8_t>(base >> 17);
                    c[2] = static_cast<uint8_t>(base >> 9);
                    c[3] = static_cast<uint8_t>(base >> 1);
                    c[4] = static_cast<uint8_t>((c[4] & 0x7f) | ((base & 1) << 7));
                }
            }
            if (++fill == kPerDatagram || i + 1 == unit.first + unit.count) {
                if (sendto(fd, dgram, fill * kTs, MSG_DONTWAIT,
                           reinterpret_cast<const sockaddr*>(&dst), sizeof dst) >= 0) {
                    tx_bytes += fill * kTs;
                    ++tx_dgrams;
                }
                fill = 0;
            }
        }
        ++u;
    }
    close(fd);
    return 0;
}
