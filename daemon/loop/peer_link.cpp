// PeerLink: per-peer accounting on the event loop.
#include "daemon/loop/peer_link.hpp"

#include <algorithm>

#include "daemon/util/log.hpp"
#include "protocol/peer_message.hpp"

namespace meshcall {

namespace {
constexpr double kMinCost = 200;
double bucket_rate(const Room& room) {
    return 4.0 * (room.video.bitrate_kbps + room.audio.bitrate_kbps) * 1000 / 8;
}
}  // namespace

PeerLink::PeerLink(const Room& room, std::size_t peer, std::size_t self,
                   const std::optional<Key32>& private_key, const PlayoutClock* playout)
    : name_(room.peers[peer].name),
      role_(room.peers[peer].role),
      address_(room.peers[peer].address),
      destination_(room.destination(peer, self)),
      receiver_(std::make_unique<PeerReceiver>(name_, room.video, &PeerReceiver::default_clock,
                                               playout)),
      bucket_(bucket_rate(room), bucket_rate(room)),
      opener_(room, peer, self, private_key),
      endpoint_(room.peers[peer].address, room.encrypted() &&
                                              room.peers[peer].role == PeerRole::participant &&
                                              !room.peers[peer].plain),
      security_(room.security) {}

bool PeerLink::update_endpoint(int64_t now_us) {
    const bool changed = endpoint_.update(connected(now_us), now_us);
    if (endpoint_.roams()) destination_ = endpoint_.current();
    return changed;
}

void PeerLink::warn_auth_failed(std::span<const uint8_t> bytes, int64_t now_us,
                                const Address& from) {
    if (last_auth_warning_us_ >= 0 && now_us - last_auth_warning_us_ < 60'000'000) return;
    last_auth_warning_us_ = now_us;
    std::string why;
    if (!bytes.empty() && bytes[0] == 0x47)
        why =
            "they are not encrypted (a stock sender? mark it \"role\": \"sender\", \"plain\": "
            "true)";
    else if (security_ == Security::keys)
        why = "does the room list " + name_ + "'s current public key, and do you both have the " +
              "same room file?";
    else
        why = "does " + name_ + " have the same room file (the same \"secret\")?";
    spdlog::warn(
        "{}: datagrams from {} do not authenticate: {} (dropped, counted in status as "
        "auth_failed; said again at most once a minute)",
        name_, from.to_string(), why);
}

PeerLink::Arrival PeerLink::on_datagram(std::span<const uint8_t> bytes, int64_t now_us,
                                        const Address& from) {
    Arrival a;
    if (!(from == endpoint_.current())) {
        // Claims to be this peer from elsewhere: it moves the endpoint only if authentic and
        // newest (WireGuard's rule); a forgery or a replay counts as unlisted, not against it.
        if (!endpoint_.roams() || !may_try_new_address(from, now_us)) {
            a.refused = true;
            return a;
        }
        const auto result = opener_.open(bytes, now_us, opened_);
        if (result == PeerOpener::Result::auth_failed && !endpoint_.current().known()) {
            // Nowhere known yet, and what claims to be it does not authenticate: most likely
            // it, with another secret or key. Said as for a listed address.
            ++datagrams_;
            bytes_ += bytes.size();
            ++auth_failed_;
            last_auth_failed_us_ = now_us;
            warn_auth_failed(bytes, now_us, from);
            return a;
        }
        if (result != PeerOpener::Result::opened) {
            a.refused = true;
            return a;
        }
        ++datagrams_;
        bytes_ += bytes.size();
        if (opener_.last_was_newest() && endpoint_.heard_from(from)) {
            destination_ = endpoint_.current();
            a.moved = true;
        }
        a.heard_again = deliver(opened_, now_us, opener_.last_sequence());
        return a;
    }
    ++datagrams_;
    bytes_ += bytes.size();
    if (!bucket_.take(std::max<double>(kMinCost, double(bytes.size())), now_us)) {
        ++rate_limited_;
        return a;
    }
    std::optional<uint64_t> seq;
    switch (opener_.open(bytes, now_us, opened_)) {
        case PeerOpener::Result::plain:
            break;
        case PeerOpener::Result::opened:
            bytes = opened_;
            seq = opener_.last_sequence();
            endpoint_.heard_from(from);  // an introduced endpoint is confirmed
            break;
        case PeerOpener::Result::auth_failed:
            ++auth_failed_;
            last_auth_failed_us_ = now_us;
            warn_auth_failed(bytes, now_us, from);
            return a;
        case PeerOpener::Result::replayed:
            ++replayed_;
            return a;
        case PeerOpener::Result::epoch_unknown:
            ++epoch_unknown_;
            return a;
    }
    a.heard_again = deliver(bytes, now_us, seq);
    return a;
}

bool PeerLink::may_try_new_address(const Address& from, int64_t now_us) {
    auto it = std::find_if(new_addresses_.begin(), new_addresses_.end(),
                           [&](const NewAddress& n) { return n.from == from; });
    if (it == new_addresses_.end()) {
        if (new_addresses_.size() < kNewAddressesTracked) {
            it = new_addresses_.insert(new_addresses_.end(), NewAddress{from});
        } else {
            it = std::min_element(
                new_addresses_.begin(), new_addresses_.end(),
                [](const NewAddress& a, const NewAddress& b) { return a.last_us < b.last_us; });
            *it = NewAddress{from};
        }
    }
    it->last_us = now_us;
    return it->bucket.take(1, now_us) && new_address_total_.take(1, now_us);
}

bool PeerLink::deliver(std::span<const uint8_t> bytes, int64_t now_us,
                       std::optional<uint64_t> seq) {
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
        arrival_ = std::make_unique<ArrivalMonitor>();
    }
    cc_.add_datagram(bytes);
    arrival_->on_datagram(bytes, now_us, seq);
    if (auto m = find_peer_message(bytes)) {
        is_meshcall_ = true;
        audio_muted_ = m->audio_muted;
        video_muted_ = m->video_muted;
        left_ = m->leaving;  // a presence without the flag: it is back
    }
    if (!plain())
        if (auto r = find_endpoint_report(bytes)) report_ = std::move(r);
    if (role_ == PeerRole::participant)
        if (auto r = find_receiver_report(bytes)) receiver_report_ = std::move(r);
    // Stamped with its arrival: the receiver drops what waited too long (StaleBacklog).
    receiver_->queue().push(PeerDatagram{false, {bytes.begin(), bytes.end()}, now_us});
    if (tap_) tap_(bytes);
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
