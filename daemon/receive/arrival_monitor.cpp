// ArrivalMonitor: rate, loss and delay signal of one sender's datagrams.
#include "daemon/receive/arrival_monitor.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "protocol/ts_packet.hpp"

namespace meshcall {

namespace {
constexpr int64_t kStampWrap = int64_t{1} << 33;

bool is_video_stream(uint8_t id) {
    return (id & 0xF0) == 0xE0;
}
bool is_audio_stream(uint8_t id) {
    return id == 0xBD || (id & 0xE0) == 0xC0;  // private stream 1 (Opus, AC-3), MPEG audio
}

int64_t read_stamp(const uint8_t* b) {
    return (int64_t(b[0] >> 1) & 7) << 30 | int64_t(b[1]) << 22 | int64_t(b[2] >> 1) << 15 |
           int64_t(b[3]) << 7 | int64_t(b[4] >> 1);
}

// The difference a - b of two 33-bit timestamps, the short way round the wrap.
int64_t stamp_difference(int64_t a, int64_t b) {
    int64_t d = (a - b) & (kStampWrap - 1);
    if (d >= kStampWrap / 2) d -= kStampWrap;
    return d;
}
}  // namespace

ArrivalMonitor::MediaPid* ArrivalMonitor::media_pid(uint16_t pid) {
    for (MediaPid& m : media_pids_)
        if (m.pid == pid) return &m;
    return nullptr;
}

uint64_t ArrivalMonitor::packet_hash(std::span<const uint8_t, 188> p) {
    return std::hash<std::string_view>{}({reinterpret_cast<const char*>(p.data()), p.size()}) | 1;
}

void ArrivalMonitor::on_datagram(std::span<const uint8_t> ts, int64_t arrival_us,
                                 std::optional<uint64_t> seq) {
    if (!bound_) {
        thread_.bind();
        bound_ = true;
    }
    MESHCALL_ASSERT_THREAD(thread_);
    if (!window_started_) {
        window_started_ = true;
        window_start_us_ = arrival_us;
    }
    const std::size_t whole = ts.size() / kTsPacketSize * kTsPacketSize;
    window_bytes_ += whole;
    if (seq) sequence_loss_.on_datagram(*seq, arrival_us);
    for (std::size_t off = 0; off < whole; off += kTsPacketSize)
        on_packet(ts.subspan(off).first<kTsPacketSize>(), arrival_us, !seq);
}

void ArrivalMonitor::on_packet(std::span<const uint8_t, 188> p, int64_t arrival_us,
                               bool count_loss) {
    TsHeader h;
    if (!parse_ts_header(p, h) || !h.has_payload) return;
    std::optional<int64_t> stamp;
    if (h.payload_start) {
        // A PES header: 00 00 01, stream_id, length (2), flags (2), header length, timestamps.
        const std::size_t pos = (p[3] & 0x20) ? 5u + p[4] : 4u;
        if (pos + 9 <= kTsPacketSize && p[pos] == 0 && p[pos + 1] == 0 && p[pos + 2] == 1) {
            const uint8_t id = p[pos + 3];
            const bool video = is_video_stream(id);
            if ((video || is_audio_stream(id)) && !media_pid(h.pid) && media_pids_.size() < 16)
                media_pids_.push_back(MediaPid{h.pid, video});
            // DTS when there is one: it is in decode order, the order frames are sent in (the
            // same as the PTS without B-frames).
            const unsigned flags = p[pos + 7] >> 6;
            if (video && flags == 3 && pos + 19 <= kTsPacketSize) {
                stamp = read_stamp(&p[pos + 14]);
            } else if (video && flags >= 2 && pos + 14 <= kTsPacketSize) {
                stamp = read_stamp(&p[pos + 9]);
            }
        }
    }
    MediaPid* media = media_pid(h.pid);
    if (!media) return;
    // A copy the network made (the plain wire has no datagram counter to refuse it by): it
    // would read as a gap of up to 15 lost packets and stretch its frame's arrival. Coded
    // pictures and sound do not repeat their bytes (each sound packet and each picture's first
    // carry a new PES timestamp), so equal bytes within the PID's last 64 packets are a copy.
    if (count_loss) {
        const uint64_t hash = packet_hash(p);
        if (std::find(media->recent.begin(), media->recent.end(), hash) != media->recent.end()) {
            ++duplicates_;
            return;
        }
        media->recent[media->recent_next] = hash;
        media->recent_next = (media->recent_next + 1) % media->recent.size();
    }
    // A keyframe whose counter does not follow: a splice, not a loss (the sender moved us to
    // another layer's stream, which it does only at a keyframe): every PID starts again.
    if (count_loss && media->video && h.payload_start && h.random_access &&
        !continuity_loss_.follows(h.pid, h.continuity))
        continuity_loss_.reset();
    if (count_loss) continuity_loss_.on_packet(h.pid, h.continuity, h.discontinuity, arrival_us);
    if (!media->video) return;
    if (stamp) on_frame_start(*stamp, arrival_us);
    if (in_frame_) frame_arrival_us_ = std::max(frame_arrival_us_, arrival_us);
}

void ArrivalMonitor::on_frame_start(int64_t stamp_90k, int64_t arrival_us) {
    if (have_stamp_) {
        const int64_t d = stamp_difference(stamp_90k, last_stamp_90k_);
        if (d == 0) return;  // the same frame, in another PES
        if (std::llabs(d) <= kRestartJump90k) {
            // An older frame's start, arriving late: its datagrams are not grouped.
            if (d < 0) return;
            end_frame();
            send_clock_90k_ += d;
        } else {
            // A new sender (or a camera back after a long pause): nothing before compares.
            ++restarts_;
            trend_.reset();
            continuity_loss_.reset();
            in_frame_ = false;
            send_clock_90k_ = 0;
        }
    }
    have_stamp_ = true;
    last_stamp_90k_ = stamp_90k;
    in_frame_ = true;
    frame_send_us_ = send_clock_90k_ * 100 / 9;
    frame_arrival_us_ = arrival_us;
}

void ArrivalMonitor::end_frame() {
    if (!in_frame_) return;
    in_frame_ = false;
    trend_.on_group(frame_send_us_, frame_arrival_us_);
    ++frames_;
    ++window_frames_;
    if (trend_.signal() == DelaySignal::overuse) window_overuse_ = true;
}

ArrivalReport ArrivalMonitor::take(int64_t now_us) {
    if (!bound_) {
        thread_.bind();
        bound_ = true;
    }
    MESHCALL_ASSERT_THREAD(thread_);
    ArrivalReport r;
    if (window_started_ && now_us > window_start_us_) {
        const int64_t span_us = now_us - window_start_us_;
        r.window_ms = static_cast<uint32_t>(std::min<int64_t>(span_us / 1000, UINT32_MAX));
        r.rx_kbps = double(window_bytes_) * 8 * 1000 / double(span_us);  // bits per ms = kbit/s
    }
    const LossCount by_seq = sequence_loss_.take(now_us);
    const LossCount by_cc = continuity_loss_.take(now_us);
    const uint64_t lost = by_seq.lost + by_cc.lost;
    const uint64_t expected = by_seq.received + by_cc.received + lost;
    if (expected > 0) r.loss_fraction = double(lost) / double(expected);
    if (window_overuse_)
        r.delay = DelaySignal::overuse;
    else if (window_frames_ > 0)
        r.delay = trend_.signal();
    r.delay_trend_ms = trend_.modified_trend();

    window_started_ = true;
    window_start_us_ = now_us;
    window_bytes_ = 0;
    window_overuse_ = false;
    window_frames_ = 0;
    return r;
}

}  // namespace meshcall
