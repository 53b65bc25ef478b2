// Tests protocol/ts_packet: TS header parsing, datagram checks and continuity-counter loss
// counting.
#include "protocol/ts_packet.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

using meshcall::ContinuityTracker;
using meshcall::kTsPacketSize;
using meshcall::TsHeader;

namespace {

using Packet = std::array<uint8_t, kTsPacketSize>;

enum class Afc { payload_only, adaptation_only, adaptation_and_payload };

// One 188-byte TS packet built by hand (ISO 13818-1 2.4.3.2).
Packet ts_packet(uint16_t pid, uint8_t cc, bool start = false, Afc afc = Afc::payload_only,
                 bool discontinuity = false) {
    Packet p{};
    p.fill(0xff);  // stuffing / payload filler
    p[0] = 0x47;
    p[1] = static_cast<uint8_t>((start ? 0x40 : 0x00) | ((pid >> 8) & 0x1f));
    p[2] = static_cast<uint8_t>(pid & 0xff);
    const uint8_t afc_bits = afc == Afc::payload_only      ? 0x1
                             : afc == Afc::adaptation_only ? 0x2
                                                           : 0x3;
    p[3] = static_cast<uint8_t>((afc_bits << 4) | (cc & 0x0f));
    if (afc != Afc::payload_only) {
        p[4] = afc == Afc::adaptation_only ? 183 : 1;  // adaptation_field_length
        p[5] = discontinuity ? 0x80 : 0x00;
    }
    return p;
}

std::vector<uint8_t> datagram(std::initializer_list<Packet> packets) {
    std::vector<uint8_t> d;
    for (const auto& p : packets) d.insert(d.end(), p.begin(), p.end());
    return d;
}

// Feeds packets of one PID with the given counters, one packet per datagram.
void feed(ContinuityTracker& t, uint16_t pid, std::initializer_list<int> counters) {
    for (int cc : counters) {
        const auto d = datagram({ts_packet(pid, static_cast<uint8_t>(cc))});
        t.add_datagram(d);
    }
}

}  // namespace

// ---- parse_ts_header ---------------------------------------------------------------------------

TEST_CASE("ts: parse_ts_header reads PID, counter and flags") {
    const Packet p = ts_packet(0x0100, 7, /*start=*/true);
    TsHeader h;
    REQUIRE(meshcall::parse_ts_header(p, h));
    CHECK(h.pid == 0x0100);
    CHECK(h.continuity == 7);
    CHECK(h.payload_start);
    CHECK(h.has_payload);
    CHECK(!h.discontinuity);
}

TEST_CASE("ts: parse_ts_header on fixed bytes with the full 13-bit PID") {
    Packet p{};
    const uint8_t head[] = {0x47, 0x1f, 0xfe, 0x3c, 0x01, 0x80};
    std::copy(std::begin(head), std::end(head), p.begin());
    TsHeader h;
    REQUIRE(meshcall::parse_ts_header(p, h));
    CHECK(h.pid == 0x1ffe);
    CHECK(h.continuity == 0x0c);
    CHECK(!h.payload_start);
    CHECK(h.has_payload);
    CHECK(h.discontinuity);
}

TEST_CASE("ts: parse_ts_header sees adaptation-only packets and the discontinuity indicator") {
    TsHeader h;
    REQUIRE(meshcall::parse_ts_header(ts_packet(0x101, 3, false, Afc::adaptation_only), h));
    CHECK(!h.has_payload);
    CHECK(!h.discontinuity);
    REQUIRE(meshcall::parse_ts_header(ts_packet(0x101, 3, false, Afc::adaptation_and_payload, true),
                                      h));
    CHECK(h.has_payload);
    CHECK(h.discontinuity);
    // A zero-length adaptation field has no flags byte: no discontinuity even if byte 5 is 0x80.
    Packet p = ts_packet(0x101, 3, false, Afc::adaptation_and_payload, true);
    p[4] = 0;
    REQUIRE(meshcall::parse_ts_header(p, h));
    CHECK(!h.discontinuity);
}

TEST_CASE("ts: parse_ts_header rejects a packet without the sync byte") {
    Packet p = ts_packet(0x100, 0);
    p[0] = 0x48;
    TsHeader h;
    CHECK(!meshcall::parse_ts_header(p, h));
}

// ---- is_ts_datagram ----------------------------------------------------------------------------

TEST_CASE("ts: datagrams of 1 to 7 whole packets are TS") {
    std::vector<uint8_t> d;
    for (int n = 1; n <= 7; ++n) {
        const Packet p = ts_packet(0x100, static_cast<uint8_t>(n));
        d.insert(d.end(), p.begin(), p.end());
        CHECK(meshcall::is_ts_datagram(d));
    }
    CHECK(d.size() == meshcall::kMaxDatagram);
}

TEST_CASE("ts: datagrams of the wrong size are not TS") {
    CHECK(!meshcall::is_ts_datagram({}));
    const auto one = datagram({ts_packet(0x100, 0)});
    CHECK(!meshcall::is_ts_datagram(std::span(one).first(187)));
    std::vector<uint8_t> longer = one;
    longer.push_back(0x47);
    CHECK(!meshcall::is_ts_datagram(longer));
    std::vector<uint8_t> eight;
    for (int i = 0; i < 8; ++i) eight.insert(eight.end(), one.begin(), one.end());
    CHECK(!meshcall::is_ts_datagram(eight));
}

TEST_CASE("ts: a datagram with a bad sync byte in any packet is not TS") {
    auto d = datagram({ts_packet(0x100, 0), ts_packet(0x100, 1), ts_packet(0x100, 2)});
    REQUIRE(meshcall::is_ts_datagram(d));
    d[2 * kTsPacketSize] = 0x00;
    CHECK(!meshcall::is_ts_datagram(d));
    std::vector<uint8_t> text(188, 'x');
    CHECK(!meshcall::is_ts_datagram(text));
}

// ---- ContinuityTracker -------------------------------------------------------------------------

TEST_CASE("ts: a fresh tracker has seen nothing") {
    ContinuityTracker t;
    CHECK(t.packets() == 0);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: consecutive counters, wrapping 15 to 0, lose nothing") {
    ContinuityTracker t;
    feed(t, 0x100, {12, 13, 14, 15, 0, 1, 2});
    CHECK(t.packets() == 7);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: a gap in the counter counts the missing packets") {
    ContinuityTracker t;
    feed(t, 0x100, {0, 1, 4});  // 2 and 3 missing
    CHECK(t.lost() == 2);
    feed(t, 0x100, {5, 15});  // 6..14 missing
    CHECK(t.lost() == 2 + 9);
    CHECK(t.packets() == 5);
}

TEST_CASE("ts: a gap across the wrap counts correctly") {
    ContinuityTracker t;
    feed(t, 0x100, {14, 1});  // 15 and 0 missing
    CHECK(t.lost() == 2);
    ContinuityTracker u;
    feed(u, 0x100, {15, 3});  // 0, 1, 2 missing
    CHECK(u.lost() == 3);
}

TEST_CASE("ts: a counter one behind counts as fourteen lost packets") {
    // Nothing tells a reordered packet from 14 losses (6..15, 0..3); the tracker counts forward.
    ContinuityTracker t;
    feed(t, 0x100, {5, 4});
    CHECK(t.lost() == 14);
}

TEST_CASE("ts: a duplicate packet with the same counter is not loss") {
    ContinuityTracker t;
    feed(t, 0x100, {3, 3, 4, 4, 5});
    CHECK(t.packets() == 5);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: each PID has its own counter") {
    ContinuityTracker t;
    const auto d = datagram({ts_packet(0x100, 0), ts_packet(0x101, 9), ts_packet(0x100, 1),
                             ts_packet(0x101, 10), ts_packet(0x100, 2), ts_packet(0x101, 11)});
    t.add_datagram(d);
    CHECK(t.packets() == 6);
    CHECK(t.lost() == 0);
    feed(t, 0x101, {13});  // 12 missing on 0x101 only
    feed(t, 0x100, {3});
    CHECK(t.lost() == 1);
}

TEST_CASE("ts: the first packet on a PID is never loss") {
    ContinuityTracker t;
    feed(t, 0x100, {9});
    feed(t, 0x200, {4});
    feed(t, 0x000, {13});
    CHECK(t.lost() == 0);
    CHECK(t.packets() == 3);
}

TEST_CASE("ts: null packets are counted as seen but never as loss") {
    ContinuityTracker t;
    feed(t, 0x1fff, {0, 7, 3, 12});
    CHECK(t.packets() == 4);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: packets without payload do not advance or break the counter") {
    ContinuityTracker t;
    feed(t, 0x100, {4});
    // Adaptation-only packets repeat the counter (or carry anything): ignored.
    t.add_datagram(datagram({ts_packet(0x100, 4, false, Afc::adaptation_only)}));
    t.add_datagram(datagram({ts_packet(0x100, 11, false, Afc::adaptation_only)}));
    feed(t, 0x100, {5});
    CHECK(t.packets() == 4);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: the discontinuity indicator restarts the counter without loss") {
    ContinuityTracker t;
    feed(t, 0x100, {0, 1, 2});
    t.add_datagram(datagram({ts_packet(0x100, 9, false, Afc::adaptation_and_payload, true)}));
    CHECK(t.lost() == 0);
    feed(t, 0x100, {10, 11});
    CHECK(t.lost() == 0);
    feed(t, 0x100, {13});
    CHECK(t.lost() == 1);
}

TEST_CASE("ts: reset forgets every PID but keeps the totals") {
    ContinuityTracker t;
    feed(t, 0x100, {0, 2});
    CHECK(t.lost() == 1);
    t.reset();
    feed(t, 0x100, {9, 10});  // the sender restarted: 9 is a first packet again
    CHECK(t.lost() == 1);
    CHECK(t.packets() == 4);
}

TEST_CASE("ts: a packet with a bad sync byte inside a datagram is skipped") {
    ContinuityTracker t;
    Packet bad = ts_packet(0x100, 8);
    bad[0] = 0x00;
    t.add_datagram(datagram({ts_packet(0x100, 0), bad, ts_packet(0x100, 1)}));
    CHECK(t.packets() == 2);
    CHECK(t.lost() == 0);
}

TEST_CASE("ts: trailing bytes that are not a whole packet are ignored") {
    ContinuityTracker t;
    auto d = datagram({ts_packet(0x100, 0), ts_packet(0x100, 1)});
    d.resize(d.size() + 100, 0x47);
    t.add_datagram(d);
    CHECK(t.packets() == 2);
    CHECK(t.lost() == 0);
}
