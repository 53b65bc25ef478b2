// Tests daemon/loop/peer_opener with daemon/send/sealer: what one peer seals, another opens,
// and what an outsider, a replay, a restart or another member cannot do.
#include "daemon/loop/peer_opener.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <map>
#include <vector>

#include "config/room.hpp"
#include "daemon/send/sealer.hpp"

using namespace meshcall;
using Result = PeerOpener::Result;

namespace {

constexpr int64_t kSecond = 1'000'000;

Room make_room(Security security) {
    Room r = parse_room(R"({"room": "sealed", "peers": [
        {"name": "alice", "host": "127.0.0.1", "port": 41310},
        {"name": "bob", "host": "127.0.0.1", "port": 41311},
        {"name": "carol", "host": "127.0.0.1", "port": 41312},
        {"name": "tv", "host": "127.0.0.1", "port": 41320, "role": "viewer"}]})",
                        "sealed.json");
    r.security = security;
    Key32 secret;
    secret.fill(7);
    r.secret = secret;
    r.peers[3].plain = true;
    return r;
}

struct Member {
    Key32 pk, sk;
};
Member member() {
    Member m;
    crypto_kx_keypair(m.pk.data(), m.sk.data());
    return m;
}

// One TS packet of `fill`, kept for the whole run: a Sealer hands a plain slot the caller's
// own bytes, so they must outlive the seal() call.
const std::vector<uint8_t>& ts(uint8_t fill) {
    static std::map<uint8_t, std::vector<uint8_t>> packets;
    auto& d = packets[fill];
    if (d.empty()) {
        d.assign(188, fill);
        d[0] = 0x47;
    }
    return d;
}

std::vector<uint8_t> copy(std::span<const uint8_t> s) {
    return {s.begin(), s.end()};
}

}  // namespace

TEST_CASE("sealing: a room room's one ciphertext opens at every member, once") {
    init_crypto();
    const Room room = make_room(Security::room);
    Sealer alice(room, 0, std::nullopt, 1000);
    PeerOpener bob_hears_alice(room, 0, 1, std::nullopt),
        carol_hears_alice(room, 0, 2, std::nullopt);
    std::vector<uint8_t> out;
    alice.seal(ts(1), 0);
    const auto to_bob = copy(alice.bytes_for(0)), to_carol = copy(alice.bytes_for(1));
    CHECK(to_bob == to_carol);  // one ciphertext for everyone
    CHECK(to_bob[0] != 0x47);
    CHECK(copy(alice.bytes_for(2)) == ts(1));  // the plain viewer gets TS
    CHECK(bob_hears_alice.open(to_bob, 0, out) == Result::opened);
    CHECK(out == ts(1));
    CHECK(carol_hears_alice.open(to_carol, 0, out) == Result::opened);
    CHECK(bob_hears_alice.open(to_bob, 0, out) == Result::replayed);
    // Bob's datagram is not alice's: the sender index is in the authenticated header.
    PeerOpener bob_hears_carol(room, 2, 1, std::nullopt);
    CHECK(bob_hears_carol.open(to_bob, 0, out) == Result::auth_failed);
    // Plain TS, garbage and a wrong secret are all refused.
    CHECK(bob_hears_alice.open(ts(2), 0, out) == Result::auth_failed);
    CHECK(bob_hears_alice.open(std::vector<uint8_t>(100, 0xE5), 0, out) == Result::auth_failed);
    Room other = room;
    other.secret->fill(8);
    Sealer impostor(other, 0, std::nullopt, 2000);
    impostor.seal(ts(3), 0);
    CHECK(bob_hears_alice.open(impostor.bytes_for(0), 0, out) == Result::auth_failed);
}

TEST_CASE("sealing: a restart's later epoch is taken, the old epoch's datagrams are then refused") {
    init_crypto();
    const Room room = make_room(Security::room);
    PeerOpener bob(room, 0, 1, std::nullopt);
    std::vector<uint8_t> out;
    Sealer first(room, 0, std::nullopt, 1000);
    first.seal(ts(1), 0);
    const auto old1 = copy(first.bytes_for(0));
    first.seal(ts(2), 0);
    const auto old2 = copy(first.bytes_for(0));
    CHECK(bob.open(old1, 0, out) == Result::opened);
    Sealer restarted(room, 0, std::nullopt, 2000);  // counters from 0 again, a new key
    restarted.seal(ts(3), 0);
    CHECK(bob.open(restarted.bytes_for(0), kSecond, out) == Result::opened);
    CHECK(bob.epoch() == 2000);
    CHECK(bob.open(old2, kSecond, out) == Result::replayed);  // never seen, but its start is over
    CHECK(bob.open(old1, kSecond, out) == Result::replayed);
}

TEST_CASE("sealing: an earlier epoch is taken only once the current one has been silent for 3 s") {
    init_crypto();
    const Room room = make_room(Security::room);
    PeerOpener bob(room, 0, 1, std::nullopt);
    std::vector<uint8_t> out;
    Sealer now(room, 0, std::nullopt, 5000), clock_set_back(room, 0, std::nullopt, 4000);
    now.seal(ts(1), 0);
    CHECK(bob.open(now.bytes_for(0), 10 * kSecond, out) == Result::opened);
    clock_set_back.seal(ts(2), 0);
    CHECK(bob.open(clock_set_back.bytes_for(0), 11 * kSecond, out) == Result::replayed);
    clock_set_back.seal(ts(3), 0);
    CHECK(bob.open(clock_set_back.bytes_for(0), 14 * kSecond, out) == Result::opened);
    CHECK(bob.epoch() == 4000);
}

TEST_CASE("sealing: in a keys room a member without alice's private key cannot pass for her") {
    init_crypto();
    Room room = make_room(Security::keys);
    const Member a = member(), b = member(), c = member();
    room.peers[0].public_key = a.pk;
    room.peers[1].public_key = b.pk;
    room.peers[2].public_key = c.pk;
    Sealer alice(room, 0, a.sk, 1000);
    PeerOpener bob_hears_alice(room, 0, 1, b.sk), carol_hears_alice(room, 0, 2, c.sk);
    std::vector<uint8_t> out;
    alice.seal(ts(1), 0);
    CHECK(copy(alice.bytes_for(0)) != copy(alice.bytes_for(1)));  // one ciphertext per pair
    CHECK(bob_hears_alice.open(alice.bytes_for(0), 0, out) == Result::opened);
    CHECK(out == ts(1));
    CHECK(carol_hears_alice.open(alice.bytes_for(1), 0, out) == Result::opened);
    // What alice sealed for carol does not open at bob.
    CHECK(bob_hears_alice.open(alice.bytes_for(1), 0, out) == Result::auth_failed);
    // carol has the room file and her own key, and seals as alice (index 0) with them.
    Room forged = room;
    forged.peers[0].public_key = c.pk;
    Sealer carol_as_alice(forged, 0, c.sk, 3000);
    carol_as_alice.seal(ts(9), 0);
    CHECK(bob_hears_alice.open(carol_as_alice.bytes_for(0), 0, out) == Result::auth_failed);
}

TEST_CASE("sealing: a none room and a plain guest pass TS as it is") {
    init_crypto();
    const Room none = make_room(Security::none);
    Sealer alice(none, 0, std::nullopt, 1000);
    alice.seal(ts(1), 0);
    CHECK(copy(alice.bytes_for(0)) == ts(1));
    std::vector<uint8_t> out;
    CHECK(PeerOpener(none, 0, 1, std::nullopt).open(ts(1), 0, out) == Result::plain);
    const Room sealed = make_room(Security::room);
    CHECK(PeerOpener(sealed, 3, 0, std::nullopt).open(ts(1), 0, out) == Result::plain);
}

TEST_CASE("sealing: after 3 s a short header, the epoch named every 250 ms, and a late listener waits for it") {
    init_crypto();
    const Room room = make_room(Security::room);
    Sealer alice(room, 0, std::nullopt, 1000);
    PeerOpener bob(room, 0, 1, std::nullopt);
    std::vector<uint8_t> out;
    alice.seal(ts(1), 0);
    CHECK(alice.bytes_for(0).size() == 188 + kSealOverhead);
    CHECK(bob.open(alice.bytes_for(0), 0, out) == Result::opened);
    alice.seal(ts(2), 2 * kSecond);  // still the epoch's first 3 s
    CHECK(alice.bytes_for(0).size() == 188 + kSealOverhead);
    alice.seal(ts(3), 3 * kSecond);  // 250 ms since the last long one: named again
    CHECK(alice.bytes_for(0).size() == 188 + kSealOverhead);
    alice.seal(ts(4), 3 * kSecond + 100'000);
    const auto short_one = copy(alice.bytes_for(0));
    CHECK(short_one.size() == 188 + kSealShortOverhead);
    CHECK(bob.open(short_one, 3 * kSecond, out) == Result::opened);
    CHECK(out == ts(4));
    CHECK(bob.open(short_one, 3 * kSecond, out) == Result::replayed);
    // Carol starts late: a short header cannot be opened before a long one names the epoch.
    PeerOpener carol(room, 0, 2, std::nullopt);
    CHECK(carol.open(short_one, 3 * kSecond, out) == Result::epoch_unknown);
    alice.seal(ts(5), 3 * kSecond + 250'000);
    CHECK(alice.bytes_for(1).size() == 188 + kSealOverhead);
    CHECK(carol.open(alice.bytes_for(1), 3 * kSecond, out) == Result::opened);
    alice.seal(ts(6), 3 * kSecond + 300'000);
    CHECK(carol.open(alice.bytes_for(1), 3 * kSecond, out) == Result::opened);
    CHECK(out == ts(6));
    // A restart: the old start's short datagram, sent again, is a replay, not a forgery.
    Sealer restarted(room, 0, std::nullopt, 2000);
    restarted.seal(ts(7), 10 * kSecond);
    CHECK(bob.open(restarted.bytes_for(0), 10 * kSecond, out) == Result::opened);
    CHECK(bob.open(short_one, 10 * kSecond, out) == Result::replayed);
    // A short header from another secret is a forgery.
    Room other = room;
    other.secret->fill(8);
    Sealer impostor(other, 0, std::nullopt, 2000);
    impostor.seal(ts(8), 0);
    impostor.seal(ts(8), 5 * kSecond);
    impostor.seal(ts(8), 5 * kSecond + 1);
    REQUIRE(impostor.bytes_for(0).size() == 188 + kSealShortOverhead);
    CHECK(bob.open(impostor.bytes_for(0), 10 * kSecond, out) == Result::auth_failed);
}
