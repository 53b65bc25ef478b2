// Sealer: per-slot keys and counters, sealing each datagram once per key.
#include "daemon/send/sealer.hpp"

#include <stdexcept>

namespace meshcall {

Sealer::Sealer(const Room& room, std::size_t self, const std::optional<Key32>& my_secret_key,
               uint64_t epoch)
    : self_(static_cast<uint8_t>(self)), epoch_(epoch) {
    if (room.encrypted()) {
        init_crypto();
        mode_ = room.security;
    }
    if (mode_ == Security::room)
        room_key_ = room_sender_key(*room.secret, room.name, room.peers[self].name, epoch);
    for (std::size_t i = 0; i < room.peers.size(); ++i) {
        if (i == self) continue;
        Slot s;
        s.plain = mode_ == Security::none || room.peers[i].plain;
        if (!s.plain && mode_ == Security::keys) {
            const auto& mine = room.peers[self].public_key;
            const auto& theirs = room.peers[i].public_key;
            if (!my_secret_key || !mine || !theirs)
                throw std::runtime_error(
                    "a \"keys\" room needs every participant's public key "
                    "and this participant's private key");
            auto k = direction_keys(*my_secret_key, *mine, *theirs);
            if (!k)
                throw std::runtime_error("the public key of \"" + room.peers[i].name +
                                         "\" is not a usable key");
            s.key = pair_epoch_key(k->to_peer, room.secret, room.name, epoch);
        }
        slots_.push_back(std::move(s));
    }
}

void Sealer::seal(std::span<const uint8_t> plaintext, int64_t now_us,
                  const std::vector<bool>& only) {
    plaintext_ = plaintext;
    if (mode_ == Security::none) return;
    if (first_seal_us_ < 0) first_seal_us_ = now_us;
    const bool name_epoch = now_us - first_seal_us_ < kNameEpochForUs ||
                            now_us - last_named_us_ >= kNameEpochEveryUs;
    if (name_epoch) last_named_us_ = now_us;
    const std::size_t overhead = name_epoch ? kSealOverhead : kSealShortOverhead;
    // 2^48 datagrams: some 44,000 years at 200 a second. Never reuse a nonce even then.
    if (room_counter_ > kSealMaxCounter || (!slots_.empty() && slots_[0].counter > kSealMaxCounter))
        throw std::runtime_error("the encryption counter is used up: restart for a new epoch");
    if (mode_ == Security::room) {
        shared_.resize(plaintext.size() + overhead);
        seal_datagram(room_key_, {self_, epoch_, room_counter_++, name_epoch}, plaintext, shared_);
        return;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.plain || (!only.empty() && !only[i])) continue;
        s.sealed.resize(plaintext.size() + overhead);
        seal_datagram(s.key, {self_, epoch_, s.counter++, name_epoch}, plaintext, s.sealed);
    }
}

std::span<const uint8_t> Sealer::bytes_for(std::size_t slot) const {
    const Slot& s = slots_[slot];
    if (s.plain) return plaintext_;
    return mode_ == Security::room ? std::span<const uint8_t>(shared_)
                                   : std::span<const uint8_t>(s.sealed);
}

}  // namespace meshcall
