// PeerOpener: what one listed peer sends, checked before anything parses it. In an encrypted
// room a datagram must carry that peer's sender index, open under
// the key of its epoch and pass the epoch's replay window. Another epoch (a restart) is taken
// only once one of its datagrams opens, and only if it is later than the current one (epochs
// are start times) or the current one has been silent for 3 s (a restart on a clock set back);
// the epochs it replaced are refused from then on. A short header (no epoch) is opened under
// the epoch taken; before one is taken it cannot be, and is dropped as epoch_unknown. From a
// plain guest, and in a "none" room, datagrams pass as they are. Event-loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/room.hpp"
#include "protocol/call_keys.hpp"
#include "protocol/replay_window.hpp"

namespace meshcall {

class PeerOpener {
  public:
    enum class Result { plain, opened, auth_failed, replayed, epoch_unknown };

    // peers[peer] as heard by peers[self]; `my_secret_key` in a "keys" room.
    PeerOpener(const Room& room, std::size_t peer, std::size_t self,
               const std::optional<Key32>& my_secret_key);

    // `plain`: use `datagram` as it is; `opened`: the TS packets are in `plaintext`; otherwise
    // drop it (and count it).
    // `now_us`: a monotonic clock.
    Result open(std::span<const uint8_t> datagram, int64_t now_us, std::vector<uint8_t>& plaintext);

    bool encrypted() const { return mode_ != Security::none; }
    // Whether the last datagram that opened had the newest counter yet (or a new epoch): only
    // such a one may move the peer's endpoint (a replay from elsewhere, or a late one, not).
    bool last_was_newest() const { return last_newest_; }
    uint64_t epoch() const { return epoch_; }
    // The last opened datagram's number, when it counts exactly the datagrams this peer sends
    // us (a "keys" room: a counter per pair; in a "room" room one counter serves every
    // receiver and every video layer, so its gaps are not our losses).
    std::optional<uint64_t> last_sequence() const {
        return mode_ == Security::keys ? std::optional<uint64_t>(last_counter_) : std::nullopt;
    }

    static constexpr int64_t kEpochIdleUs = 3'000'000;

  private:
    Key32 key_of(uint64_t epoch) const;
    bool retired(uint64_t epoch) const;

    Security mode_ = Security::none;  // none: a "none" room, or a plain guest
    std::string room_, name_;
    std::optional<Key32> secret_;
    Key32 from_peer_{};  // "keys": the direction key peer -> me
    uint8_t peer_ = 0;
    uint64_t epoch_ = 0;  // the epoch taken (0: none yet)
    int64_t last_opened_us_ = 0;
    bool last_newest_ = false;
    uint64_t last_counter_ = 0;
    Key32 key_{};
    ReplayWindow window_;
    std::optional<Key32> replaced_key_;  // the key of the epoch it replaced last
    std::array<uint64_t, 8> retired_{};  // the epochs it replaced, newest last
};

}  // namespace meshcall
