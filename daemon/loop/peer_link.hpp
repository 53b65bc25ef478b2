// PeerLink: the event loop's view of one remote participant: its endpoint (PeerEndpoint), what
// arrived from it, its health, and the receiver thread its datagrams go to. Event-loop thread
// only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/room.hpp"
#include "config/video_layers.hpp"
#include "daemon/loop/peer_endpoint.hpp"
#include "daemon/loop/peer_opener.hpp"
#include "daemon/loop/token_bucket.hpp"
#include "daemon/receive/arrival_monitor.hpp"
#include "daemon/receive/peer_receiver.hpp"
#include "protocol/endpoint_report.hpp"
#include "protocol/receiver_report.hpp"
#include "protocol/ts_packet.hpp"

namespace meshcall {

class PeerLink {
  public:
    // Absent after 2.5 s of silence: the issue asks for "absent within 3 s"; a live peer sends
    // presence every 500 ms and video at its frame rate, so 2.5 s is still unambiguous.
    static constexpr int64_t kAbsentAfterUs = 2'500'000;
    static constexpr int64_t kRestartAfterUs = 1'000'000;  // silence, then data: a new stream
    // A full participant silent this long (never heard, or gone) is backed off.
    static constexpr int64_t kBackoffAfterUs = 10'000'000;
    // "Unreachable" lasts this long after the last ICMP error about the peer. A backed-off
    // peer still gets presence twice a second, so a gone peer answers within 1.2 s even where
    // routers limit ICMP to one a second; a guest's player that has started stops answering.
    static constexpr int64_t kUnreachableForUs = 1'200'000;

    // Why the send path sends a peer only presence.
    enum class Backoff { none, silent, unreachable };

    // Datagrams arrive but none authenticates (in an encrypted room) for this long, while
    // they keep coming: the peer's state says "cannot-authenticate".
    static constexpr int64_t kAuthFailingUs = 1'000'000;

    // peers[peer] of `room`, as heard by peers[self]; `private_key` in a "keys" room; `playout`:
    // when the mix is heard (the receiver's lip sync), none without sound.
    PeerLink(const Room& room, std::size_t peer, std::size_t self,
             const std::optional<Key32>& private_key = std::nullopt,
             const PlayoutClock* playout = nullptr);

    // Datagrams from an address that is not its endpoint, claiming to be it, are tried (opened)
    // this often at most from each such address (a peer that moved needs one; a flood from
    // another address does not use up its share), and this often from all together (what a
    // flood from many forged addresses can cost: ~1 µs each).
    static constexpr double kNewAddressTriesPerS = 50;
    static constexpr double kNewAddressTotalPerS = 2000;
    static constexpr std::size_t kNewAddressesTracked = 16;

    struct Arrival {
        bool heard_again = false;  // heard after a silence (a joiner, a restarted sender)
        bool moved = false;        // it came from a new address, which is its endpoint now
        bool refused = false;      // from a new address, and not authentic: nothing counted
                                   // here (the session counts it as unlisted); but while no
                                   // endpoint is known a forgery counts as auth_failed
    };
    // A datagram from `from` at monotonic time `now_us` (av_gettime_relative: the receiver
    // judges the datagram's age on that clock). `from` is its endpoint, or (a roaming peer)
    // another address its sealed header names it at.
    Arrival on_datagram(std::span<const uint8_t> bytes, int64_t now_us, const Address& from);
    // Same, from its endpoint; true when heard again after a silence.
    bool on_datagram(std::span<const uint8_t> bytes, int64_t now_us) {
        return on_datagram(bytes, now_us, endpoint_.current()).heard_again;
    }
    // Sees each datagram queued for its receiver (its TS packets, opened): the recording's.
    // Set before the loop runs.
    using DatagramTap = std::function<void(std::span<const uint8_t>)>;
    void set_tap(DatagramTap tap) { tap_ = std::move(tap); }
    // The endpoint report that arrived with its last datagrams, once (protocol/endpoint_report).
    std::optional<std::vector<ReportedEndpoint>> take_report() { return std::exchange(report_, {}); }
    // The video layer we ask it for (our receiver report), and whether its pictures come
    // smaller than that (its upload, or the path, holds us down).
    void set_wanted_layer(const LayerSpec& spec) { wanted_layer_ = spec; }
    bool held_down() const {
        const int w = receiver_->stats().width.load(std::memory_order_relaxed);
        return w > 0 && wanted_layer_.width > 0 && w < wanted_layer_.width;
    }
    const LayerSpec& wanted_layer() const { return wanted_layer_; }
    // Every ~250 ms: how its stream arrived since the last call (ArrivalMonitor).
    ArrivalReport take_arrival(int64_t now_us) { return arrival_->take(now_us); }
    // Its receiver report about the streams it gets (protocol/receiver_report), once.
    std::optional<std::vector<ReceiverReportEntry>> take_receiver_report() {
        return std::exchange(receiver_report_, {});
    }
    PeerEndpoint& endpoint() { return endpoint_; }
    const PeerEndpoint& endpoint() const { return endpoint_; }
    // Every 250 ms: see PeerEndpoint::update. True when the send path must be told.
    bool update_endpoint(int64_t now_us);
    // Why it is unreachable (PeerEndpoint::unreachable_reason), when it is.
    std::optional<std::string> unreachable_reason(int64_t now_us) const {
        return endpoint_.unreachable_reason(connected(now_us), now_us);
    }
    // Once a second: turns counters into rates.
    void tick(int64_t now_us);
    // The network said our datagrams to destination() cannot be delivered (ICMP).
    void on_unreachable(int64_t now_us);

    bool unreachable(int64_t now_us) const {
        return last_unreachable_us_ >= 0 && now_us - last_unreachable_us_ < kUnreachableForUs;
    }
    // Whether to back it off now: unreachable (any role), or a full participant silent for
    // 10 s since `since_us` (the call's start) or its last datagram. A viewer (a stock player,
    // which never sends) is never backed off for silence; a stock sender is sent nothing.
    Backoff backoff(int64_t now_us, int64_t since_us) const;

    bool connected(int64_t now_us) const {
        return last_seen_us_ >= 0 && now_us - last_seen_us_ < kAbsentAfterUs;
    }
    // In an encrypted room: datagrams from its address in the last 2 s, none of them
    // authenticating for kAuthFailingUs (a wrong secret or key, or only an impostor sending).
    bool cannot_authenticate(int64_t now_us) const {
        return last_auth_failed_us_ >= 0 && now_us - last_auth_failed_us_ < 2'000'000 &&
               (last_seen_us_ < 0 || now_us - last_seen_us_ > kAuthFailingUs);
    }
    // "connected", "cannot-authenticate", "unreachable" (a member hears it, we do not: see
    // unreachable_reason), "absent" (nothing heard yet, or not for 2.5 s) or "left" (it said
    // goodbye).
    const char* state(int64_t now_us) const {
        return left_                         ? "left"
               : cannot_authenticate(now_us) ? "cannot-authenticate"
               : connected(now_us)           ? "connected"
               : unreachable_reason(now_us)  ? "unreachable"
                                             : "absent";
    }
    // From its presence messages (false for a stock sender, which sends none).
    bool audio_muted() const { return audio_muted_; }
    bool video_muted() const { return video_muted_; }
    bool is_meshcall() const { return is_meshcall_; }

    const std::string& name() const { return name_; }
    PeerRole role() const { return role_; }
    const Address& address() const { return address_; }  // the room file's (maybe not known())
    // Where its datagrams go: its endpoint, or for a viewer its port + our index.
    const Address& destination() const { return destination_; }
    uint64_t unreachable_errors() const { return unreachable_errors_; }
    PeerReceiver& receiver() { return *receiver_; }
    const PeerReceiver& receiver() const { return *receiver_; }

    uint64_t datagrams() const { return datagrams_; }
    uint64_t bytes() const { return bytes_; }
    uint64_t bad_datagrams() const { return bad_datagrams_; }
    uint64_t rate_limited() const { return rate_limited_; }
    uint64_t auth_failed() const { return auth_failed_; }
    uint64_t replayed() const { return replayed_; }
    // Sealed with a short header before a long one named its epoch (a restart of ours, or
    // its first datagrams lost): dropped until one does, within 250 ms.
    uint64_t epoch_unknown() const { return epoch_unknown_; }
    bool plain() const { return !opener_.encrypted(); }
    uint64_t queue_drops() const { return receiver_->queue().dropped(); }
    int64_t last_seen_us() const { return last_seen_us_; }
    double rx_kbps() const { return rx_kbps_; }
    double video_fps() const { return video_fps_; }
    double loss_pct() const { return loss_pct_; }
    uint64_t lost_packets() const { return cc_.lost(); }

  private:
    // Why datagrams from it do not authenticate, said at most once a minute.
    void warn_auth_failed(std::span<const uint8_t> bytes, int64_t now_us, const Address& from);
    // An authentic (or plain) datagram's TS packets: counted, parsed for presence and reports,
    // queued for the receiver. True when heard again after a silence.
    bool deliver(std::span<const uint8_t> bytes, int64_t now_us,
                 std::optional<uint64_t> seq = std::nullopt);
    // Whether a datagram from `from` (not its endpoint) may be tried now.
    bool may_try_new_address(const Address& from, int64_t now_us);

    std::string name_;
    PeerRole role_;
    Address address_, destination_;
    std::unique_ptr<PeerReceiver> receiver_;
    ContinuityTracker cc_;
    LayerSpec wanted_layer_;
    std::unique_ptr<ArrivalMonitor> arrival_ = std::make_unique<ArrivalMonitor>();
    uint64_t datagrams_ = 0, bytes_ = 0, bad_datagrams_ = 0, rate_limited_ = 0;
    uint64_t auth_failed_ = 0, replayed_ = 0, epoch_unknown_ = 0;
    // A flood from this (listed, maybe spoofed) address cannot starve the others or grow
    // memory: four times the room's bitrate, each datagram costing at least 200 bytes.
    TokenBucket bucket_;
    struct NewAddress {
        Address from;
        TokenBucket bucket{kNewAddressTriesPerS, kNewAddressTriesPerS};
        int64_t last_us = 0;
    };
    std::vector<NewAddress> new_addresses_;  // at most kNewAddressesTracked, least recent replaced
    TokenBucket new_address_total_{kNewAddressTotalPerS, kNewAddressTotalPerS};
    PeerOpener opener_;
    PeerEndpoint endpoint_;
    std::optional<std::vector<ReportedEndpoint>> report_;
    std::optional<std::vector<ReceiverReportEntry>> receiver_report_;
    Security security_;
    std::vector<uint8_t> opened_;  // the last datagram's TS packets, when it was sealed
    DatagramTap tap_;
    int64_t last_auth_failed_us_ = -1, last_auth_warning_us_ = -1;
    int64_t last_seen_us_ = -1, last_unreachable_us_ = -1;
    uint64_t unreachable_errors_ = 0;
    bool audio_muted_ = false, video_muted_ = false, left_ = false, is_meshcall_ = false;
    // For the per-second rates.
    int64_t last_tick_us_ = -1;
    uint64_t tick_bytes_ = 0, tick_frames_ = 0, tick_packets_ = 0, tick_lost_ = 0;
    double rx_kbps_ = 0, video_fps_ = 0, loss_pct_ = 0;
};

}  // namespace meshcall
