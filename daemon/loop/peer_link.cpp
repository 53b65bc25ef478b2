// PeerLink: per-peer accounting on the event loop.
#include "daemon/loop/peer_link.hpp"

#include "protocol/peer_message.hpp"

namespace meshcall {

namespace {
constexpr double kMinCost = 200;
double bucket_rate(const Room& room) {
    return 4.0 * (room.video.bitrate_kbps + room.audio.bitrate_kbps) * 1000 / 8;
}
}  // namespace

PeerLink::PeerLink(const PeerEntry& entry, const Room& room, const Address& destination)
    : name_(entry.name),
      role_(entry.role),
      address_(entry.address),
      destination_(destination),
      receiver_(std::make_unique<PeerReceiver>(entry.name, room.video)),
      bucket_(bucket_rate(room), bucket_rate(room)) {}

bool PeerLink::on_datagram(std::span<const uint8_t> bytes, int64_t now_us) {
    ++datagrams_;
    bytes_ += bytes.size();
    if (!bucket_.take(std::max<double>(kMinCost, double(bytes.size())), now_us)) {
        ++rate_limited_;
        return false;
    }
    const bool heard_again = last_seen_us_ < 0 || now_us - last_seen_us_ > kRestartAfterUs;
    const bool silent_before = last_seen_us_ >= 0 && heard_again;
    last_seen_us_ = now_us;
    last_unreachable_us_ = -1;  // it sends from its port: that port is open now
    if (!is_ts_datagram(bytes)) {
        ++bad_datagrams_;
        return heard_again;
    }
    if (silent_before) {
        // Silence, then a stream again: most likely a restarted sender. A new demuxer picks
        // it up cleanly instead of stitching two streams together.
        receiver_->queue().replace_all(PeerDatagram{true, {}, now_us});
        cc_.reset();
    }
    cc_.add_datagram(bytes);
    if (auto m = find_peer_message(bytes)) {
        is_meshcall_ = true;
        audio_muted_ = m->audio_muted;
        video_muted_ = m->video_muted;
        left_ = m->leaving;  // a presence without the flag: it is back
    }
    // Stamped with its arrival: the receiver drops what waited too long (StaleBacklog).
    receiver_->queue().push(PeerDatagram{false, {bytes.begin(), bytes.end()}, now_us});
    return heard_again;
}

void PeerLink::on_unreachable(int64_t now_us) {
    ++unreachable_errors_;
    last_unreachable_us_ = now_us;
}

PeerLink::Backoff PeerLink::backoff(int64_t now_us, int64_t since_us) const {
    if (unreachable(now_us)) return Backoff::unreachable;
    if (role_ != PeerRole::participant) return Backoff::none;
    return now_us - std::max(last_seen_us_, since_us) > kBackoffAfterUs ? Backoff::silent
                                                                        : Backoff::none;
}

void PeerLink::tick(int64_t now_us) {
    const uint64_t frames = receiver_->stats().video_frames.load(std::memory_order_relaxed);
    if (last_tick_us_ >= 0 && now_us > last_tick_us_) {
        const double seconds = double(now_us - last_tick_us_) / 1e6;
        rx_kbps_ = double(bytes_ - tick_bytes_) * 8 / 1000 / seconds;
        video_fps_ = double(frames - tick_frames_) / seconds;
        const uint64_t got = cc_.packets() - tick_packets_, lost = cc_.lost() - tick_lost_;
        loss_pct_ = got + lost ? 100.0 * double(lost) / double(got + lost) : 0.0;
    }
    last_tick_us_ = now_us;
    tick_bytes_ = bytes_;
    tick_frames_ = frames;
    tick_packets_ = cc_.packets();
    tick_lost_ = cc_.lost();
}

}  // namespace meshcall
