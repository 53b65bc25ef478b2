// Tests daemon/loop/peer_link: when a peer is backed off (silence, ICMP errors) by role.
#include "daemon/loop/peer_link.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "config/room.hpp"

using namespace meshcall;
using Backoff = PeerLink::Backoff;

namespace {
const Room& room() {
    static const Room r = parse_room(R"({"room": "r", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310},
        {"name": "bob", "host": "127.0.0.1", "port": 41311},
        {"name": "tv", "host": "127.0.0.1", "port": 41320, "role": "viewer"}]})",
                                     "r.json");
    return r;
}
PeerLink link(std::size_t peer) {
    return PeerLink(room(), peer, 0);
}
constexpr int64_t kSecond = 1'000'000;
}  // namespace

TEST_CASE("peer link: a participant silent for 10 s is backed off, and heard, it is not") {
    PeerLink bob = link(1);
    const int64_t start = 5 * kSecond;
    CHECK(bob.backoff(start + 9 * kSecond, start) == Backoff::none);
    CHECK(bob.backoff(start + 11 * kSecond, start) == Backoff::silent);
    const uint8_t junk[188] = {};  // not TS (no 0x47): counted as bad, but heard
    bob.on_datagram(junk, start + 11 * kSecond);
    CHECK(bob.backoff(start + 12 * kSecond, start) == Backoff::none);
}

TEST_CASE("peer link: a viewer is never backed off for silence, and gets port + k") {
    PeerLink tv = link(2);
    CHECK(tv.role() == PeerRole::viewer);
    CHECK(tv.destination().to_string() == "127.0.0.1:41320");  // from alice, peers[0]
    CHECK(tv.backoff(3600 * kSecond, 0) == Backoff::none);
}

TEST_CASE("peer link: unreachable (ICMP) backs off any role for 1.2 s after the last error") {
    for (std::size_t peer : {1, 2}) {
        PeerLink p = link(peer);
        p.on_unreachable(10 * kSecond);
        p.on_unreachable(10 * kSecond + 500'000);
        CHECK(p.unreachable_errors() == 2);
        CHECK(p.backoff(10 * kSecond + 600'000, 10 * kSecond) == Backoff::unreachable);
        CHECK(p.backoff(10 * kSecond + 1'600'000, 10 * kSecond) == Backoff::unreachable);
        CHECK(p.backoff(10 * kSecond + 1'800'000, 10 * kSecond) == Backoff::none);
    }
}

TEST_CASE("peer link: a datagram from a peer ends its unreachable state at once") {
    PeerLink bob = link(1);
    bob.on_unreachable(kSecond);
    const uint8_t junk[188] = {};
    bob.on_datagram(junk, kSecond + 100'000);
    CHECK(!bob.unreachable(kSecond + 200'000));
    CHECK(bob.backoff(kSecond + 200'000, 0) == Backoff::none);
}
