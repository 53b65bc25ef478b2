// PeerEndpoint: where one participant is reached, in an encrypted room (README, "Calling over
// the internet"): the room file's address if it has one, then wherever its authenticated
// datagrams come from (WireGuard's rule: only an authentic, newest datagram moves it), and
// while it is not heard, the endpoints other members report hearing it at (introductions),
// which it is probed at. A stock guest, and everyone in a "none" room, stays at the room
// file's address. Event-loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/address.hpp"

namespace meshcall {

class PeerEndpoint {
  public:
    enum class Via { none, room, learned, introduced };
    static const char* via_name(Via via);  // null for none, else "room" | "learned" | "introduced"

    // A member's report is fresh this long (members report once a second).
    static constexpr int64_t kReportFreshUs = 3'500'000;
    // Probed this long with no answer while a member hears it: "unreachable".
    static constexpr int64_t kUnreachableAfterUs = 5'000'000;
    static constexpr std::size_t kMaxProbes = 4;

    // `listed`: the room file's address (maybe not known()); `roams`: it may move (an
    // encrypted room's full participant that is not a plain guest).
    PeerEndpoint(const Address& listed, bool roams);

    const Address& current() const { return current_; }
    Via via() const { return via_; }
    bool roams() const { return roams_; }
    uint64_t moves() const { return moves_; }

    // An authentic datagram with its newest counter arrived from `from`: that is where it is
    // now. True when the endpoint moved.
    bool heard_from(const Address& from);
    // Member `reporter` hears it at `where`.
    void reported(const std::string& reporter, const Address& where, int64_t now_us);

    // Once in a while (the loop's 250 ms timer), with whether it is heard now. While it is
    // not: adopts the freshest report when no endpoint is known, and lists the addresses to
    // probe. True when current() or probes() changed (the send path must be told).
    bool update(bool connected, int64_t now_us);
    const std::vector<Address>& probes() const { return probes_; }

    // Why it is unreachable: a member hears it, and our probes have had no answer for
    // kUnreachableAfterUs. nullopt when that is not so.
    std::optional<std::string> unreachable_reason(bool connected, int64_t now_us) const;

  private:
    struct Report {
        std::string reporter;
        Address where;
        int64_t at_us = 0;
    };
    const Report* freshest(int64_t now_us) const;

    Address listed_, current_;
    Via via_ = Via::none;
    bool roams_ = false;
    uint64_t moves_ = 0;
    std::vector<Report> reports_;  // one per reporter
    std::vector<Address> probes_;
    int64_t probing_since_us_ = -1;  // not heard while a member hears it, since
};

}  // namespace meshcall
