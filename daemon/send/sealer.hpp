// Sealer: what the fan-out sends each peer in an encrypted room (protocol/sealed_datagram). In a
// "room" room one ciphertext under this sender's epoch key serves every peer; in a "keys" room
// each peer gets its own, under the pair's direction key; a plain guest (and everyone in a
// "none" room) gets the TS packets as they are. A datagram names the epoch (a long header) for
// the epoch's first 3 s and then every 250 ms, so that a receiver that restarts or joins late
// learns it; the others carry a short header (10 bytes less). Send thread only (after
// construction).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "config/room.hpp"
#include "protocol/call_keys.hpp"

namespace meshcall {

class Sealer {
  public:
    // Slots: every peer of `room` but `self`, in room order (as FanoutSender's peers).
    // `my_secret_key` in a "keys" room; `epoch` from new_epoch(). Throws std::runtime_error
    // when a key is unusable.
    Sealer(const Room& room, std::size_t self, const std::optional<Key32>& my_secret_key,
           uint64_t epoch);

    static constexpr int64_t kNameEpochForUs = 3'000'000;   // from the first seal
    static constexpr int64_t kNameEpochEveryUs = 250'000;   // after that

    // Seals `plaintext` for every slot that needs it (once in a "room" room), or in a "keys"
    // room for the slots marked in `only` (each slot's counter then counts what it is sent).
    // `now_us`: a monotonic clock.
    void seal(std::span<const uint8_t> plaintext, int64_t now_us,
              const std::vector<bool>& only = {});
    // What to send slot `slot` for the last seal(): valid until the next, and a plain slot's
    // bytes are the caller's plaintext itself (valid while it lives).
    std::span<const uint8_t> bytes_for(std::size_t slot) const;
    bool encrypted() const { return mode_ != Security::none; }
    // True when slot `slot` gets plaintext (a plain guest, or everyone in a "none" room).
    bool plain(std::size_t slot) const { return slots_[slot].plain; }

  private:
    struct Slot {
        bool plain = true;
        Key32 key{};  // "keys" only
        uint64_t counter = 0;
        std::vector<uint8_t> sealed;
    };
    Security mode_ = Security::none;
    uint8_t self_ = 0;
    uint64_t epoch_ = 0;
    Key32 room_key_{};  // "room": this sender's epoch key
    uint64_t room_counter_ = 0;
    int64_t first_seal_us_ = -1, last_named_us_ = -1;
    std::vector<uint8_t> shared_;  // "room": the one ciphertext
    std::vector<Slot> slots_;
    std::span<const uint8_t> plaintext_;
};

}  // namespace meshcall
