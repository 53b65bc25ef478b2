// Tests protocol/sealed_datagram, replay_window and call_keys: the encrypted room's wire format,
// its replay window and its keys.
#include "protocol/sealed_datagram.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <thread>
#include <vector>

#include "protocol/call_keys.hpp"
#include "protocol/replay_window.hpp"

using namespace meshcall;

namespace {
Key32 key_of(uint8_t fill) {
    Key32 k;
    k.fill(fill);
    return k;
}
std::vector<uint8_t> ts_packets(std::size_t n) {
    std::vector<uint8_t> d(n * 188);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = i % 188 == 0 ? 0x47 : uint8_t(i * 7);
    return d;
}
std::vector<uint8_t> sealed(const Key32& key, const SealHeader& h, const std::vector<uint8_t>& p) {
    std::vector<uint8_t> out(p.size() + seal_overhead(h));
    CHECK(seal_datagram(key, h, p, out) == out.size());
    return out;
}
}  // namespace

TEST_CASE("sealed datagram: round trip, header readable, never a TS sync byte first") {
    init_crypto();
    const auto plain = ts_packets(7);
    const auto d = sealed(key_of(1), {3, 0x0102030405060708, 42}, plain);
    CHECK(d.size() == 1316 + 32);
    CHECK(d.size() <= 1472);
    CHECK(d[0] == kSealMagic);
    CHECK(d[0] != 0x47);
    const auto h = peek_seal_header(d);
    REQUIRE(h);
    CHECK(h->sender == 3);
    CHECK(h->epoch == 0x0102030405060708);
    CHECK(h->counter == 42);
    std::vector<uint8_t> out(plain.size());
    REQUIRE(open_datagram(key_of(1), d, 42, out));
    CHECK(out == plain);
    CHECK(!open_datagram(key_of(1), d, 43, out));  // the counter is the nonce
    // The ciphertext shows no TS sync byte at a packet boundary.
    int syncs = 0;
    for (std::size_t i = kSealHeaderSize; i + 188 <= d.size(); i += 188) syncs += d[i] == 0x47;
    CHECK(syncs < 3);
}

TEST_CASE("sealed datagram: every flipped bit, a wrong key or a cut fails to open") {
    init_crypto();
    const auto plain = ts_packets(1);
    const auto d = sealed(key_of(1), {0, 7, 9}, plain);
    std::vector<uint8_t> out(plain.size());
    for (std::size_t i = 0; i < d.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto bad = d;
            bad[i] ^= uint8_t(1 << bit);
            INFO("byte " << i << " bit " << bit);
            CHECK(!open_datagram(key_of(1), bad, 9, out));
        }
    CHECK(!open_datagram(key_of(2), d, 9, out));
    CHECK(!open_datagram(key_of(1), std::span(d).first(d.size() - 1), 9, out));
    CHECK(!peek_seal_header(std::span(d).first(kSealOverhead - 1)));
    CHECK(!peek_seal_header(plain));  // TS is not a sealed datagram
}

TEST_CASE("sealed datagram: a short header is 10 bytes less, carries the counter's low 32 bits") {
    init_crypto();
    const auto plain = ts_packets(1);
    const uint64_t counter = (uint64_t{5} << 32) + 77;
    const auto d = sealed(key_of(1), {2, 0x0102030405060708, counter, false}, plain);
    CHECK(d.size() == 188 + 22);
    CHECK(d[0] == kSealShortMagic);
    const auto h = peek_seal_header(d);
    REQUIRE(h);
    CHECK(!h->names_epoch);
    CHECK(h->sender == 2);
    CHECK(h->epoch == 0);
    CHECK(h->counter == 77);
    std::vector<uint8_t> out(plain.size());
    CHECK(!open_datagram(key_of(1), d, 77, out));  // the full counter is the nonce
    REQUIRE(open_datagram(key_of(1), d, counter, out));
    CHECK(out == plain);
    for (std::size_t i = 0; i < d.size(); ++i) {
        auto bad = d;
        bad[i] ^= 0x10;
        INFO("byte " << i);
        CHECK(!open_datagram(key_of(1), bad, counter, out));
    }
    // The same bytes under a long header do not open as a short one: the header is authenticated.
    const auto long_form = sealed(key_of(1), {2, 1, counter, true}, plain);
    std::vector<uint8_t> relabelled(kSealShortHeaderSize + long_form.size() - kSealHeaderSize);
    const uint8_t short_header[] = {kSealShortMagic, 2, 0, 0, 0, 77};
    std::copy(std::begin(short_header), std::end(short_header), relabelled.begin());
    std::copy(long_form.begin() + kSealHeaderSize, long_form.end(),
              relabelled.begin() + kSealShortHeaderSize);
    CHECK(!open_datagram(key_of(1), relabelled, counter, out));
    CHECK(!peek_seal_header(std::span(d).first(kSealShortOverhead - 1)));
}

TEST_CASE("replay window: a short header's counter is taken nearest the newest accepted") {
    ReplayWindow w;
    CHECK(w.expand(12) == 12);  // nothing accepted yet
    const uint64_t top = (uint64_t{3} << 32) + 0xFFFFFFF0;
    REQUIRE(w.accept(top));
    CHECK(w.expand(0xFFFFFFF0) == top);
    CHECK(w.expand(0xFFFFFF00) == top - 0xF0);           // a little late
    CHECK(w.expand(0x00000005) == (uint64_t{4} << 32) + 5);  // just past a 32-bit wrap
    ReplayWindow low;
    REQUIRE(low.accept(10));
    CHECK(low.expand(0xFFFFFFFF) == 0xFFFFFFFF);  // never below zero
    CHECK(low.expand(11) == 11);
}

TEST_CASE("replay window: new counters once, reordering inside 4032 behind the newest") {
    ReplayWindow w;
    CHECK(w.accept(100));
    CHECK(!w.accept(100));
    CHECK(w.accept(99));    // late but new
    CHECK(w.accept(5000));  // a jump
    CHECK(!w.accept(99));   // too old now
    CHECK(w.accept(5000 - 4000));
    CHECK(!w.accept(5000 - 4000));
    CHECK(!w.accept(5000 - ReplayWindow::kSpan));
    CHECK(w.accept(4999));
    CHECK(w.accept(1'000'000));  // a jump past the whole window clears it
    CHECK(w.accept(1'000'000 - 1));
    CHECK(!w.accept(1'000'000));
    for (uint64_t c = 1'000'001; c < 1'010'000; ++c) REQUIRE(w.accept(c));
    for (uint64_t c = 1'010'000 - 100; c < 1'010'000; ++c) CHECK(!w.accept(c));
}

TEST_CASE("call keys: direction keys pair up, room keys differ by sender and epoch") {
    init_crypto();
    Key32 a_pk, a_sk, b_pk, b_sk;
    crypto_kx_keypair(a_pk.data(), a_sk.data());
    crypto_kx_keypair(b_pk.data(), b_sk.data());
    const auto a = direction_keys(a_sk, a_pk, b_pk);
    const auto b = direction_keys(b_sk, b_pk, a_pk);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->to_peer == b->from_peer);
    CHECK(a->from_peer == b->to_peer);
    CHECK(a->to_peer != a->from_peer);
    const Key32 secret = key_of(9);
    CHECK(room_sender_key(secret, "r", "alice", 1) != room_sender_key(secret, "r", "alice", 2));
    CHECK(room_sender_key(secret, "r", "alice", 1) != room_sender_key(secret, "r", "bob", 1));
    CHECK(room_sender_key(secret, "r", "alice", 1) != room_sender_key(key_of(8), "r", "alice", 1));
    CHECK(pair_epoch_key(a->to_peer, secret, "r", 1) != pair_epoch_key(a->to_peer, {}, "r", 1));
    const uint64_t first = new_epoch();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    CHECK(first < new_epoch());  // start times: a restart's epoch is later
}
