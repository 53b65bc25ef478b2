// PeerMessage: the in-band presence packet on fixed bytes.
#include <doctest/doctest.h>

#include <vector>

#include "protocol/peer_message.hpp"

using namespace meshcall;

TEST_CASE("peer message: encodes to the documented bytes") {
    PeerMessage m{"bob", 0x01020304, true, false, true};
    auto p = encode_peer_message(m, 0x1b);  // only the low 4 bits count
    const std::vector<uint8_t> head = {0x47, 0x5f, 0x00, 0x1b, 'M', 'C', 'P', '1', 1,
                                       0x05, 1,    2,    3,    4,   3,   'b', 'o', 'b'};
    CHECK(std::vector<uint8_t>(p.begin(), p.begin() + static_cast<long>(head.size())) == head);
    for (std::size_t i = head.size(); i < p.size(); ++i) CHECK(p[i] == 0xff);
}

TEST_CASE("peer message: round trip of every flag combination") {
    for (int flags = 0; flags < 8; ++flags) {
        PeerMessage m{"alice-1_x", static_cast<uint32_t>(flags * 1000), bool(flags & 1),
                      bool(flags & 2), bool(flags & 4)};
        auto p = encode_peer_message(m, static_cast<uint8_t>(flags));
        auto back = decode_peer_message(p);
        REQUIRE(back);
        CHECK(*back == m);
    }
}

TEST_CASE("peer message: a 64-byte name fits, a longer one is cut to 64") {
    PeerMessage m{std::string(64, 'n'), 7, false, false, false};
    CHECK(decode_peer_message(encode_peer_message(m, 0))->name == m.name);
    m.name = std::string(100, 'n');
    CHECK(decode_peer_message(encode_peer_message(m, 0))->name == std::string(64, 'n'));
}

TEST_CASE(
    "peer message: other PIDs, bad magic, bad version, unknown flags, long names are refused") {
    PeerMessage m{"bob", 1, false, false, false};
    auto good = encode_peer_message(m, 0);
    auto p = good;
    p[2] = 0x01;  // PID 0x1f01
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[4] = 'X';
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[8] = 2;  // version
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[9] = 0x08;  // unknown flag
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[14] = 65;  // name length over 64
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[0] = 0x48;  // sync
    CHECK_FALSE(decode_peer_message(p));
    p = good;
    p[3] = 0x30;  // adaptation field present
    CHECK_FALSE(decode_peer_message(p));
}

TEST_CASE("peer message: found among media packets of a datagram, the last one wins") {
    std::vector<uint8_t> d;
    std::array<uint8_t, 188> media{};
    media[0] = 0x47;
    media[1] = 0x01;  // PID 0x100
    media[3] = 0x10;
    d.insert(d.end(), media.begin(), media.end());
    auto first = encode_peer_message({"bob", 1, false, false, false}, 0);
    auto second = encode_peer_message({"bob", 2, true, true, false}, 1);
    d.insert(d.end(), first.begin(), first.end());
    d.insert(d.end(), media.begin(), media.end());
    d.insert(d.end(), second.begin(), second.end());
    auto m = find_peer_message(d);
    REQUIRE(m);
    CHECK(m->seq == 2);
    CHECK(m->audio_muted);
    CHECK_FALSE(find_peer_message(std::span<const uint8_t>(media)));
}
