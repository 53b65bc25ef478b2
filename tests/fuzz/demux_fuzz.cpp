// demux_fuzz: libFuzzer target for one peer's receive path: datagram checks, continuity
// accounting, presence messages, receiver reports and the arrival monitor (rate, loss, delay
// trend) as the event loop does them (PeerLink::on_datagram), then
// PeerReceiver's TS demuxer and decoders (a custom AVIO over its queue), on the fuzzer thread.
//
// Input: [mode] [seed] then the stream bytes, cut into datagrams:
//   mode bits 0-2  TS packets per datagram, 1-7; 0: a varying count (1-7) for each datagram
//   mode bit 3     ragged cuts instead: each datagram 1-1316 bytes, most not whole TS packets
//                  (dropped as bad datagrams, as the event loop drops them)
//   mode bit 4     the sender restarts halfway: a reset marker, then a second demuxer
//   seed           seeds the varying counts and ragged sizes
// The seed corpus (tests/fuzz/corpus/demux_fuzz) holds real meshcall and stock ffmpeg
// streams with this two-byte prefix.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/log.h>
}

#include "config/room.hpp"
#include "daemon/receive/arrival_monitor.hpp"
#include "daemon/receive/peer_receiver.hpp"
#include "protocol/opus_ts.hpp"
#include "protocol/peer_message.hpp"
#include "protocol/receiver_report.hpp"
#include "protocol/ts_packet.hpp"

namespace {

using namespace meshcall;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "demux_fuzz: %s\n", what);
    std::abort();
}

struct Rng {  // xorshift32: the cut sizes, reproducible from the input alone
    uint32_t state;
    uint32_t next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
};

// What PeerLink::on_datagram does with one datagram before it reaches the receiver.
void on_datagram(std::span<const uint8_t> d, ContinuityTracker& cc, PeerReceiver& receiver,
                 ArrivalMonitor& arrival, int64_t now_us) {
    if (!is_ts_datagram(d)) return;  // counted as bad_datagrams, never queued
    arrival.on_datagram(d, now_us, std::nullopt);
    if (auto r = find_receiver_report(d)) {
        // What decodes must encode to the same entries.
        const auto packet = encode_receiver_report(*r, 5);
        auto again = find_receiver_report(packet);
        if (!again || !(*again == *r)) fail("receiver report does not round-trip");
    }
    const uint64_t packets_before = cc.packets();
    cc.add_datagram(d);
    if (cc.packets() - packets_before != d.size() / kTsPacketSize)
        fail("continuity: packets miscounted");
    if (auto m = find_peer_message(d)) {
        // What decodes must encode to the same message.
        const auto packet = encode_peer_message(*m, 3);
        auto again = decode_peer_message(packet);
        if (!again || !(*again == *m)) fail("peer message does not round-trip");
    }
    receiver.queue().push(PeerDatagram{false, {d.begin(), d.end()}});
}

// split_opus_ts must return spans inside its input, in order.
void check_opus_split(std::span<const uint8_t> bytes) {
    const uint8_t* last_end = bytes.data();
    for (auto unit : split_opus_ts(bytes)) {
        if (unit.data() < last_end || unit.data() + unit.size() > bytes.data() + bytes.size())
            fail("split_opus_ts: a unit outside its input");
        last_end = unit.data() + unit.size();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    av_log_set_level(AV_LOG_QUIET);
    spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 2) return -1;
    const uint8_t mode = data[0];
    Rng rng{0x9e3779b9u ^ (uint32_t{data[1]} * 0x01000193u)};
    const std::span<const uint8_t> stream(data + 2, size - 2);
    check_opus_split(stream);

    const unsigned fixed_packets = mode & 0x07;
    const bool ragged = mode & 0x08;
    const bool restart = mode & 0x10;

    PeerReceiver receiver("fuzz", VideoSettings{});
    ContinuityTracker cc;
    ArrivalMonitor arrival;
    int64_t now_us = 1'000'000;
    std::size_t pos = 0;
    bool restarted = false;
    while (pos < stream.size()) {
        if (restart && !restarted && pos >= stream.size() / 2) {
            restarted = true;
            receiver.queue().push(PeerDatagram{true, {}});  // what replace_all queues
            cc.reset();
        }
        std::size_t n = ragged
                            ? 1 + rng.next() % kMaxDatagram
                            : kTsPacketSize * (fixed_packets ? fixed_packets : 1 + rng.next() % 7);
        n = std::min(n, stream.size() - pos);
        on_datagram(stream.subspan(pos, n), cc, receiver, arrival, now_us);
        now_us += 1 + rng.next() % 20'000;  // arrivals up to 20 ms apart
        if (rng.next() % 16 == 0) {
            const ArrivalReport a = arrival.take(now_us);
            if (!(a.loss_fraction >= 0 && a.loss_fraction <= 1) || !(a.rx_kbps >= 0))
                fail("arrival monitor: a figure out of range");
        }
        pos += n;
    }
    receiver.queue().push(PeerDatagram{true, {}});

    // Each pass runs one demuxer over the queue and returns at its reset marker.
    receiver.demux_pass();
    if (restarted) receiver.demux_pass();

    if (std::getenv("DEMUX_FUZZ_STATS")) {  // to see what a seed reaches
        const auto& st = receiver.stats();
        std::fprintf(stderr,
                     "demux_fuzz: %zu bytes: video %llu frames %dx%d, audio %llu frames, "
                     "decode errors %llu, rejected streams %llu\n",
                     size, (unsigned long long)st.video_frames, st.width.load(), st.height.load(),
                     (unsigned long long)st.audio_frames, (unsigned long long)st.decode_errors,
                     (unsigned long long)st.rejected_streams);
    }
    // What the mixer and the window would read.
    float samples[960];
    while (receiver.audio().read(samples) > 0) {
    }
    uint64_t seen = 0;
    if (FramePtr f = receiver.video().take_if_newer(seen)) {
        if (f->width <= 0 || f->height <= 0 ||
            int64_t{f->width} * f->height > int64_t{2} * 640 * 480)
            fail("a picture over max_pixels was published");
    }
    return 0;
}
