// Tests daemon/loop/peer_endpoint: what moves an endpoint, introductions, probes, and when a
// peer is called unreachable.
#include "daemon/loop/peer_endpoint.hpp"

#include <doctest/doctest.h>

using namespace meshcall;

namespace {
constexpr int64_t kSecond = 1'000'000;
Address at(const std::string& host, uint16_t port) {
    return *resolve_udp(host, port).address;
}
}  // namespace

TEST_CASE("peer endpoint: learned from where it is heard, a move counted only from a known one") {
    PeerEndpoint e(Address{}, true);
    CHECK(!e.current().known());
    CHECK(e.via() == PeerEndpoint::Via::none);
    CHECK(e.heard_from(at("11.0.0.2", 5000)));
    CHECK(e.current() == at("11.0.0.2", 5000));
    CHECK(e.via() == PeerEndpoint::Via::learned);
    CHECK(e.moves() == 0);
    CHECK(!e.heard_from(at("11.0.0.2", 5000)));
    CHECK(e.heard_from(at("11.0.0.2", 40001)));  // a NAT's new port
    CHECK(e.moves() == 1);
    // A stock guest (or a "none" room's peer) stays at the room file's address.
    PeerEndpoint fixed(at("127.0.0.1", 41320), false);
    CHECK(!fixed.heard_from(at("127.0.0.1", 9)));
    CHECK(fixed.current() == at("127.0.0.1", 41320));
    CHECK(fixed.via() == PeerEndpoint::Via::room);
}

TEST_CASE("peer endpoint: a reported endpoint is tried when none is known, and probed") {
    PeerEndpoint e(Address{}, true);
    e.reported("carol", at("11.0.0.5", 5000), 0);
    CHECK(e.update(false, 0));
    CHECK(e.current() == at("11.0.0.5", 5000));
    CHECK(e.via() == PeerEndpoint::Via::introduced);
    CHECK(e.probes().empty());  // everything goes there already
    e.reported("dave", at("192.168.1.9", 5000), kSecond);  // another view of it
    CHECK(e.update(false, kSecond));
    CHECK(e.probes() == std::vector<Address>{at("192.168.1.9", 5000)});
    CHECK(!e.update(false, kSecond));  // nothing new
    // Heard there: confirmed, and no more probing.
    CHECK(!e.heard_from(at("11.0.0.5", 5000)));
    CHECK(e.via() == PeerEndpoint::Via::learned);
    CHECK(e.update(true, 2 * kSecond));
    CHECK(e.probes().empty());
    // Stale reports are not probed.
    CHECK(!e.update(false, 10 * kSecond));
    CHECK(e.probes().empty());
}

TEST_CASE("peer endpoint: unreachable once a member hears it and 5 s of probes had no answer") {
    PeerEndpoint e(Address{}, true);
    for (int64_t t = 0; t <= 6 * kSecond; t += kSecond / 4) {
        if (t % kSecond == 0) e.reported("carol", at("11.0.0.5", 40000), t);
        e.update(false, t);
        const auto why = e.unreachable_reason(false, t);
        CHECK(why.has_value() == (t >= PeerEndpoint::kUnreachableAfterUs));
        if (why) CHECK(why->find("carol reports it at 11.0.0.5:40000") == 0);
    }
    CHECK(!e.unreachable_reason(true, 6 * kSecond));  // heard: not unreachable
    // Nobody hears it (not in the call): absent, not unreachable.
    PeerEndpoint alone(Address{}, true);
    for (int64_t t = 0; t <= 8 * kSecond; t += kSecond) alone.update(false, t);
    CHECK(!alone.unreachable_reason(false, 8 * kSecond));
}
