// PeerOpener: header checks, the epoch's key, AEAD, replay window.
#include "daemon/loop/peer_opener.hpp"

#include <algorithm>
#include <stdexcept>

namespace meshcall {

PeerOpener::PeerOpener(const Room& room, std::size_t peer, std::size_t self,
                       const std::optional<Key32>& my_secret_key)
    : room_(room.name),
      name_(room.peers[peer].name),
      secret_(room.secret),
      peer_(static_cast<uint8_t>(peer)) {
    if (!room.encrypted() || room.peers[peer].plain) return;
    init_crypto();
    mode_ = room.security;
    if (mode_ == Security::keys) {
        const auto& mine = room.peers[self].public_key;
        const auto& theirs = room.peers[peer].public_key;
        if (!my_secret_key || !mine || !theirs)
            throw std::runtime_error(
                "a \"keys\" room needs every participant's public key and "
                "this participant's private key");
        auto k = direction_keys(*my_secret_key, *mine, *theirs);
        if (!k) throw std::runtime_error("the public key of \"" + name_ + "\" is not a usable key");
        from_peer_ = k->from_peer;
    }
}

Key32 PeerOpener::key_of(uint64_t epoch) const {
    if (mode_ == Security::room) return room_sender_key(*secret_, room_, name_, epoch);
    return pair_epoch_key(from_peer_, secret_, room_, epoch);
}

bool PeerOpener::retired(uint64_t epoch) const {
    return std::find(retired_.begin(), retired_.end(), epoch) != retired_.end();
}

PeerOpener::Result PeerOpener::open(std::span<const uint8_t> datagram, int64_t now_us,
                                    std::vector<uint8_t>& plaintext) {
    if (mode_ == Security::none) return Result::plain;
    const auto h = peek_seal_header(datagram);
    if (!h || h->sender != peer_) return Result::auth_failed;
    plaintext.resize(datagram.size() - seal_overhead(*h));
    if (!h->names_epoch) {
        if (epoch_ == 0) return Result::epoch_unknown;
        const uint64_t counter = window_.expand(static_cast<uint32_t>(h->counter));
        if (!open_datagram(key_, datagram, counter, plaintext)) {
            // One from the start this one replaced, sent again: a replay, not a forgery.
            if (replaced_key_ && open_datagram(*replaced_key_, datagram, counter, plaintext))
                return Result::replayed;
            return Result::auth_failed;
        }
        const bool newest = window_.newer(counter);
        if (!window_.accept(counter)) return Result::replayed;
        last_opened_us_ = now_us;
        last_newest_ = newest;
        last_counter_ = counter;
        return Result::opened;
    }
    if (h->epoch == 0) return Result::auth_failed;
    const bool other_epoch = h->epoch != epoch_;
    const Key32 key = other_epoch ? key_of(h->epoch) : key_;
    if (!open_datagram(key, datagram, h->counter, plaintext)) return Result::auth_failed;
    // Authentic, from another start: an older start while the current one is alive is a
    // replay (or a clock set back: taken once the current epoch has been silent for
    // kEpochIdleUs); a start it replaced is over.
    if (other_epoch && (retired(h->epoch) || (epoch_ != 0 && h->epoch < epoch_ &&
                                              now_us - last_opened_us_ < kEpochIdleUs)))
        return Result::replayed;
    if (other_epoch) {
        if (epoch_ != 0) {
            std::rotate(retired_.begin(), retired_.begin() + 1, retired_.end());
            retired_.back() = epoch_;
            replaced_key_ = key_;
        }
        epoch_ = h->epoch;
        key_ = key;
        window_.reset();
    }
    const bool newest = window_.newer(h->counter);
    if (!window_.accept(h->counter)) return Result::replayed;
    last_opened_us_ = now_us;
    last_newest_ = newest;
    last_counter_ = h->counter;
    return Result::opened;
}

}  // namespace meshcall
