// ArrivalMonitor on hand-built TS datagrams (PES headers with PTS, continuity counters, datagram
// numbers) fed on a simulated clock: loss with and without reordering, the delay signal.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/receive/arrival_monitor.hpp"
#include "tests/support/ts_edit.hpp"

using namespace meshcall;

namespace {

constexpr int64_t kWrap = int64_t{1} << 33;
constexpr int64_t kFrameUs = 33'333;  // 30 fps
constexpr int64_t kReportUs = 250'000;

// A PES header (stream `id`) with a PTS, then filler up to a whole TS payload.
std::vector<uint8_t> pes_start(uint8_t id, int64_t pts) {
    pts = ((pts % kWrap) + kWrap) % kWrap;
    std::vector<uint8_t> b = {0, 0, 1, id, 0, 0, 0x80, 0x80, 5};
    b.push_back(static_cast<uint8_t>(0x21 | ((pts >> 29) & 0x0e)));
    b.push_back(static_cast<uint8_t>(pts >> 22));
    b.push_back(static_cast<uint8_t>(((pts >> 14) & 0xfe) | 1));
    b.push_back(static_cast<uint8_t>(pts >> 7));
    b.push_back(static_cast<uint8_t>(((pts << 1) & 0xfe) | 1));
    b.resize(184, 0xaa);
    return b;
}

// One sender's stream: video on PID 0x100 (a frame = `datagrams` datagrams of 7 TS packets),
// Opus-like sound on 0x101 (one packet a datagram), its continuity counters and datagram numbers.
struct Stream {
    uint8_t cc[2] = {0, 0};
    uint64_t seq = 0;
    uint64_t packets = 0;

    std::vector<uint8_t> packet(int which, bool start, const std::vector<uint8_t>& payload) {
        auto p = test::ts_packet(which == 0 ? 0x100 : 0x101, start, payload);
        p[3] = static_cast<uint8_t>((p[3] & 0xf0) | cc[which]);
        cc[which] = (cc[which] + 1) & 0x0f;
        return {p.begin(), p.end()};
    }
    std::vector<std::vector<uint8_t>> video_frame(int64_t pts, int datagrams = 4) {
        std::vector<std::vector<uint8_t>> out;
        std::vector<uint8_t> filler(184, 0x55);
        for (int d = 0; d < datagrams; ++d) {
            std::vector<uint8_t> dg;
            for (int k = 0; k < 7; ++k) {
                const bool start = d == 0 && k == 0;
                // Coded pictures differ: no two packets of the stream carry the same bytes.
                for (std::size_t b = 0; b < 8; ++b) filler[b] = static_cast<uint8_t>(packets >> (8 * b));
                ++packets;
                const auto p = packet(0, start, start ? pes_start(0xE0, pts) : filler);
                dg.insert(dg.end(), p.begin(), p.end());
            }
            out.push_back(dg);
        }
        return out;
    }
    std::vector<uint8_t> audio(int64_t pts) { return packet(1, true, pes_start(0xBD, pts)); }
};

// Feeds a stream on a simulated clock, in order of arrival, and takes a report every 250 ms of it.
struct Receiver {
    struct Arrival {
        std::vector<uint8_t> datagram;
        int64_t at_us = 0;
        uint64_t seq = 0;
    };
    ArrivalMonitor monitor;
    Stream stream;
    bool sealed = false;  // datagram numbers given
    int64_t next_take_us = kReportUs;
    std::vector<Arrival> pending;  // delivered, not yet fed: fed in arrival order by advance()
    std::vector<ArrivalReport> reports;
    std::vector<int64_t> report_times;

    // Feeds what arrived up to `now_us`, taking the reports due on the way.
    void advance(int64_t now_us) {
        std::stable_sort(pending.begin(), pending.end(),
                         [](const Arrival& a, const Arrival& b) { return a.at_us < b.at_us; });
        std::size_t fed = 0;
        for (; fed < pending.size() && pending[fed].at_us <= now_us; ++fed) {
            take_until(pending[fed].at_us);
            const Arrival& a = pending[fed];
            monitor.on_datagram(
                a.datagram, a.at_us,
                sealed ? std::optional<uint64_t>(a.seq) : std::optional<uint64_t>());
        }
        pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(fed));
        take_until(now_us);
    }
    void take_until(int64_t now_us) {
        while (next_take_us <= now_us) {
            reports.push_back(monitor.take(next_take_us));
            report_times.push_back(next_take_us);
            next_take_us += kReportUs;
        }
    }
    void deliver(const std::vector<uint8_t>& dg, int64_t arrival_us, uint64_t seq) {
        pending.push_back(Arrival{dg, arrival_us, seq});
    }
    // Frame `i` of a 30 fps stream whose PTS starts at `pts0`, arriving `delay_us` after it was
    // sent (its datagrams 300 µs apart).
    void frame(int64_t i, int64_t delay_us, int64_t pts0 = 900'000) {
        const int64_t send_us = i * kFrameUs;
        const auto dgs = stream.video_frame(pts0 + send_us * 9 / 100);
        int64_t at = 1'000'000 + send_us + delay_us;
        for (const auto& dg : dgs) {
            deliver(dg, at, stream.seq++);
            at += 300;
        }
    }
    int count(DelaySignal s) const {
        int n = 0;
        for (const ArrivalReport& r : reports) n += r.delay == s;
        return n;
    }
};

// Deterministic jitter in [-range, range] µs.
struct Jitter {
    uint32_t state = 12345;
    int64_t next(int64_t range) {
        state = state * 1664525u + 1013904223u;
        return int64_t(state >> 8) % (2 * range + 1) - range;
    }
};

// The index of the first report at or after `from_us` saying `s`, or -1.
int first_report(const Receiver& r, DelaySignal s, int64_t from_us) {
    for (std::size_t k = 0; k < r.reports.size(); ++k)
        if (r.report_times[k] >= from_us && r.reports[k].delay == s) return int(k);
    return -1;
}

}  // namespace

TEST_CASE("arrival monitor: a steady delay with jitter and sound is normal, no loss, the rate") {
    Receiver r;
    Jitter jitter;
    for (int64_t i = 0; i < 300; ++i) {
        r.frame(i, 40'000 + jitter.next(4'000));
        // Two sound packets a frame, in datagrams of their own.
        for (int a = 0; a < 2; ++a) {
            const int64_t send = i * kFrameUs + a * 16'000;
            r.deliver(r.stream.audio(900'000 + send * 9 / 100), 1'000'000 + send + 40'000 + 8'000,
                      r.stream.seq++);
        }
    }
    r.advance(1'000'000 + 300 * kFrameUs + 100'000);
    REQUIRE(r.reports.size() > 30);
    CHECK(r.count(DelaySignal::overuse) == 0);
    CHECK(r.count(DelaySignal::underuse) == 0);
    CHECK(r.monitor.frames() == 299);
    // Per frame: 4 x 1316 bytes of video and 2 x 188 of sound; 30 frames a second.
    const double kbps = (4 * 1316 + 2 * 188) * 8 * 30 / 1000.0;
    for (std::size_t k = 6; k + 1 < r.reports.size(); ++k) {
        CHECK(r.reports[k].loss_fraction == 0);
        CHECK(r.reports[k].window_ms == 250);
        CHECK(r.reports[k].rx_kbps == doctest::Approx(kbps).epsilon(0.1));
    }
}

TEST_CASE("arrival monitor: a one-way delay growing 3 ms a frame is overuse within about half a second") {
    Receiver r;
    Jitter jitter;
    for (int64_t i = 0; i < 90; ++i) r.frame(i, 20'000 + jitter.next(2'000));
    r.advance(1'000'000 + 90 * kFrameUs);
    CHECK(r.count(DelaySignal::overuse) == 0);
    const int64_t onset_us = 1'000'000 + 90 * kFrameUs;
    for (int64_t i = 90; i < 150; ++i) r.frame(i, 20'000 + (i - 89) * 3'000);
    r.advance(1'000'000 + 151 * kFrameUs + 200'000);
    const int k = first_report(r, DelaySignal::overuse, onset_us);
    REQUIRE(k >= 0);
    // The detector says overuse some 15 frames in (the smoothing and the 20-frame regression
    // lag the delay); a frame is judged when the next one starts; then the next report says it.
    CHECK(r.report_times[std::size_t(k)] - onset_us <= 18 * kFrameUs + kReportUs);
    CHECK(r.reports[std::size_t(k)].delay_trend_ms > 0);
}

TEST_CASE("arrival monitor: from the first frame, a growing delay is overuse within 1.5 s") {
    // The trend is scaled by min(frames, 60): a young detector needs a steeper or longer trend.
    Receiver r;
    for (int64_t i = 0; i < 60; ++i) r.frame(i, 20'000 + i * 3'000);
    r.advance(1'000'000 + 61 * kFrameUs);
    CHECK(first_report(r, DelaySignal::overuse, 0) >= 0);
    CHECK(r.count(DelaySignal::underuse) == 0);
}

TEST_CASE("arrival monitor: a draining queue is underuse, then a steady one normal again") {
    Receiver r;
    for (int64_t i = 0; i < 90; ++i) r.frame(i, 300'000);
    const int64_t onset_us = 1'000'000 + 90 * kFrameUs + 300'000;
    for (int64_t i = 90; i < 150; ++i) r.frame(i, 300'000 - (i - 89) * 3'000);
    r.advance(1'000'000 + 150 * kFrameUs + 120'000);
    const int k = first_report(r, DelaySignal::underuse, onset_us);
    REQUIRE(k >= 0);
    CHECK(r.report_times[std::size_t(k)] - onset_us <= 18 * kFrameUs + kReportUs);
    CHECK(r.count(DelaySignal::overuse) == 0);
    for (int64_t i = 150; i < 300; ++i) r.frame(i, 120'000);
    r.advance(1'000'000 + 300 * kFrameUs);
    CHECK(r.reports.back().delay == DelaySignal::normal);
}

TEST_CASE("arrival monitor: the 33-bit PTS wraps without a restart - the trend carries on") {
    Receiver r;
    const int64_t pts0 = kWrap - 100 * 3'000;  // wraps after 100 frames
    for (int64_t i = 0; i < 200; ++i) r.frame(i, 20'000, pts0);
    r.advance(1'000'000 + 201 * kFrameUs);
    CHECK(r.monitor.restarts() == 0);
    CHECK(r.monitor.frames() == 199);
    CHECK(r.count(DelaySignal::overuse) == 0);
    CHECK(r.count(DelaySignal::underuse) == 0);
    // Across the wrap, a growing delay is still seen.
    Receiver g;
    const int64_t pts_g = kWrap - 110 * 3'000;
    for (int64_t i = 0; i < 100; ++i) g.frame(i, 20'000, pts_g);
    for (int64_t i = 100; i < 140; ++i) g.frame(i, 20'000 + (i - 99) * 3'000, pts_g);
    g.advance(1'000'000 + 141 * kFrameUs + 200'000);
    CHECK(g.monitor.restarts() == 0);
    CHECK(first_report(g, DelaySignal::overuse, 1'000'000 + 100 * kFrameUs) >= 0);
}

TEST_CASE(
    "arrival monitor: a sender restart (PTS jump, counters from 0) resets - no false signal or "
    "loss") {
    Receiver r;
    for (int64_t i = 0; i < 150; ++i) r.frame(i, 20'000);
    // A new process: another PTS origin, continuity counters from 0, the same arrival pace.
    r.stream.cc[0] = r.stream.cc[1] = 0;
    r.stream.cc[0] = 9;  // wherever the new muxer starts: not the old one's next
    for (int64_t i = 150; i < 300; ++i) r.frame(i, 20'000, 900'000 + 123'456'789);
    r.advance(1'000'000 + 300 * kFrameUs + 200'000);
    CHECK(r.monitor.restarts() == 1);
    CHECK(r.monitor.frames() == 298);  // the first frame after the restart has no predecessor
    CHECK(r.count(DelaySignal::overuse) == 0);
    CHECK(r.count(DelaySignal::underuse) == 0);
    for (const ArrivalReport& rep : r.reports) CHECK(rep.loss_fraction == 0);
    // A jump backwards is one too.
    for (int64_t i = 300; i < 330; ++i) r.frame(i, 20'000, 90'000);
    r.advance(1'000'000 + 331 * kFrameUs);
    CHECK(r.monitor.restarts() == 2);
}

TEST_CASE("arrival monitor: sound only: no frames, the delay signal stays normal") {
    Receiver r;
    for (int64_t i = 0; i < 500; ++i) {
        const int64_t send = i * 20'000;
        // A delay growing 3 ms a packet: video would be overuse.
        r.deliver(r.stream.audio(900'000 + send * 9 / 100), 1'000'000 + send + i * 3'000,
                  r.stream.seq++);
    }
    r.advance(1'000'000 + 500 * 23'000);
    CHECK(r.monitor.frames() == 0);
    CHECK(r.count(DelaySignal::normal) == int(r.reports.size()));
    CHECK(r.reports[10].rx_kbps > 0);
}

TEST_CASE("arrival monitor: sealed wire: reordered datagrams are no loss, across reports too") {
    Receiver r;
    r.sealed = true;
    // Frames whose datagrams arrive out of order: every 5th frame's second datagram comes 60 ms
    // late (after the next report, but within 100 ms).
    for (int64_t i = 0; i < 150; ++i) {
        const int64_t send_us = i * kFrameUs;
        auto dgs = r.stream.video_frame(900'000 + send_us * 9 / 100);
        const int64_t at = 1'000'000 + send_us + 20'000;
        for (std::size_t d = 0; d < dgs.size(); ++d) {
            const uint64_t seq = r.stream.seq++;
            const bool late = i % 5 == 0 && d == 1;
            if (!late) r.deliver(dgs[d], at + int64_t(d) * 300, seq);
            if (i % 5 == 0 && d == 3) r.deliver(dgs[1], at + 60'000, seq - 2);
        }
    }
    r.advance(1'000'000 + 151 * kFrameUs + 200'000);
    for (const ArrivalReport& rep : r.reports) CHECK(rep.loss_fraction == 0);
}

TEST_CASE("arrival monitor: sealed wire: datagrams that never come are lost, in datagrams") {
    Receiver r;
    r.sealed = true;
    uint64_t dropped = 0;
    for (int64_t i = 0; i < 300; ++i) {
        const int64_t send_us = i * kFrameUs;
        auto dgs = r.stream.video_frame(900'000 + send_us * 9 / 100);
        for (std::size_t d = 0; d < dgs.size(); ++d) {
            const uint64_t seq = r.stream.seq++;
            if (seq % 20 == 7 && i < 270) {  // 5 %, then a clean second
                ++dropped;
                continue;
            }
            r.deliver(dgs[d], 1'000'000 + send_us + 20'000 + int64_t(d) * 300, seq);
        }
    }
    r.advance(1'000'000 + 301 * kFrameUs + 300'000);
    // Each window's loss over what it received (1316-byte datagrams): lost / (received + lost).
    double lost = 0;
    for (const ArrivalReport& rep : r.reports) {
        CHECK(rep.loss_fraction < 0.1);
        const double received = rep.rx_kbps * rep.window_ms / 8 / 1316;
        lost += received * rep.loss_fraction / (1 - rep.loss_fraction);
    }
    CHECK(dropped == 54);
    CHECK(lost == doctest::Approx(double(dropped)).epsilon(0.01));
}

TEST_CASE("arrival monitor: plain wire: loss from continuity gaps - reordering is no loss") {
    SUBCASE("a lost datagram counts its 7 packets") {
        Receiver r;
        uint64_t dropped = 0;
        for (int64_t i = 0; i < 300; ++i) {
            const int64_t send_us = i * kFrameUs;
            auto dgs = r.stream.video_frame(900'000 + send_us * 9 / 100);
            for (std::size_t d = 0; d < dgs.size(); ++d) {
                // One in 20 frames loses its third datagram (7 of 28 packets).
                if (i % 20 == 5 && d == 2) {
                    ++dropped;
                    continue;
                }
                r.deliver(dgs[d], 1'000'000 + send_us + 20'000 + int64_t(d) * 300, 0);
            }
        }
        r.advance(1'000'000 + 301 * kFrameUs + 300'000);
        double lost = 0, received = 0;
        for (const ArrivalReport& rep : r.reports) {
            const double packets = rep.rx_kbps * rep.window_ms / 8 / 188;  // received packets
            received += packets;
            if (rep.loss_fraction < 1)
                lost += packets * rep.loss_fraction / (1 - rep.loss_fraction);
        }
        CHECK(dropped == 15);
        CHECK(lost == doctest::Approx(15 * 7).epsilon(0.02));
        CHECK(received == doctest::Approx(300 * 28 - 15 * 7).epsilon(0.02));
    }
    SUBCASE("datagrams swapped, or 60 ms late across a report, are no loss") {
        Receiver r;
        for (int64_t i = 0; i < 150; ++i) {
            const int64_t send_us = i * kFrameUs;
            auto dgs = r.stream.video_frame(900'000 + send_us * 9 / 100);
            const int64_t at = 1'000'000 + send_us + 20'000;
            if (i % 3 == 0) std::swap(dgs[1], dgs[2]);  // arrive 0, 2, 1, 3
            for (std::size_t d = 0; d < dgs.size(); ++d) {
                if (i % 7 == 1 && d == 0) continue;  // the frame's start: 60 ms late
                r.deliver(dgs[d], at + int64_t(d) * 300, 0);
            }
            if (i % 7 == 1) r.deliver(dgs[0], at + 60'000, 0);
        }
        r.advance(1'000'000 + 151 * kFrameUs + 200'000);
        for (const ArrivalReport& rep : r.reports) CHECK(rep.loss_fraction == 0);
    }
    SUBCASE("copies the network made, arriving late and out of order, are no loss and no delay") {
        // As through the jitter test's relay: one datagram in 10 duplicated, the copy 10-40 ms
        // after the original (behind the next frames' datagrams).
        Receiver r;
        Jitter jitter;
        for (int64_t i = 0; i < 300; ++i) {
            const int64_t send_us = i * kFrameUs;
            auto dgs = r.stream.video_frame(900'000 + send_us * 9 / 100);
            const int64_t at = 1'000'000 + send_us + 20'000;
            for (std::size_t d = 0; d < dgs.size(); ++d) {
                r.deliver(dgs[d], at + int64_t(d) * 300, 0);
                if ((i * 4 + int64_t(d)) % 10 == 3)
                    r.deliver(dgs[d], at + 25'000 + jitter.next(15'000), 0);
            }
            r.deliver(r.stream.audio(900'000 + send_us * 9 / 100), at, 0);
        }
        r.advance(1'000'000 + 301 * kFrameUs + 300'000);
        for (const ArrivalReport& rep : r.reports) CHECK(rep.loss_fraction == 0);
        CHECK(r.count(DelaySignal::overuse) == 0);
        CHECK(r.monitor.duplicates() == 120 * 7);  // every copied packet, and nothing else
    }
    SUBCASE("a limit of the 4-bit counter: 16 packets lost in a row on a PID are not seen") {
        Receiver r;
        r.frame(0, 20'000);
        r.stream.cc[0] = (r.stream.cc[0] + 16) & 0x0f;  // 16 packets "sent" and lost
        for (int64_t i = 1; i < 30; ++i) r.frame(i, 20'000);
        r.advance(1'000'000 + 30 * kFrameUs + 200'000);
        for (const ArrivalReport& rep : r.reports) CHECK(rep.loss_fraction == 0);
    }
}

TEST_CASE("arrival monitor: a report with nothing received is empty") {
    ArrivalMonitor m;
    const ArrivalReport first = m.take(1'000'000);
    CHECK(first.rx_kbps == 0);
    CHECK(first.loss_fraction == 0);
    CHECK(first.delay == DelaySignal::normal);
    CHECK(m.take(1'250'000).window_ms == 250);
}
