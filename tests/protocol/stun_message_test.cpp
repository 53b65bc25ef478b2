// Tests protocol/stun_message on fixed bytes: RFC 5769's test vectors, hand-made responses that
// are wrong in one way each, and the datagrams a meshcall socket also receives (TS, sealed).
#include "protocol/stun_message.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "protocol/sealed_datagram.hpp"
#include "protocol/ts_packet.hpp"

using namespace meshcall;

namespace {

using Bytes = std::vector<uint8_t>;

// RFC 5769's transaction id, shared by all its samples.
constexpr StunTransactionId kRfcId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

// RFC 5769 2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
// MESSAGE-INTEGRITY and FINGERPRINT.
const Bytes kRfcRequest = {
    0x00, 0x01, 0x00, 0x58,  // Request type and message length
    0x21, 0x12, 0xa4, 0x42,  // Magic cookie
    0xb7, 0xe7, 0xa7, 0x01,  // }
    0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
    0xfa, 0x87, 0xdf, 0xae,  // }
    0x80, 0x22, 0x00, 0x10,  // SOFTWARE attribute header
    0x53, 0x54, 0x55, 0x4e,  // }
    0x20, 0x74, 0x65, 0x73,  // }  User-agent...
    0x74, 0x20, 0x63, 0x6c,  // }  ...name
    0x69, 0x65, 0x6e, 0x74,  // }
    0x00, 0x24, 0x00, 0x04,  // PRIORITY attribute header
    0x6e, 0x00, 0x01, 0xff,  // ETF priority value
    0x80, 0x29, 0x00, 0x08,  // ICE-CONTROLLED attribute header
    0x93, 0x2f, 0xf9, 0xb1,  // }  Pseudo-random tie breaker...
    0x51, 0x26, 0x3b, 0x36,  // }   ...for ICE control
    0x00, 0x06, 0x00, 0x09,  // USERNAME attribute header
    0x65, 0x76, 0x74, 0x6a,  // }
    0x3a, 0x68, 0x36, 0x76,  // }  Username (9 bytes) and padding (3 bytes)
    0x59, 0x20, 0x20, 0x20,  // }
    0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
    0x9a, 0xea, 0xa7, 0x0c,  // }
    0xbf, 0xd8, 0xcb, 0x56,  // }
    0x78, 0x1e, 0xf2, 0xb5,  // }  HMAC-SHA1 fingerprint
    0xb2, 0xd3, 0xf2, 0x49,  // }
    0xc1, 0xb5, 0x71, 0xa2,  // }
    0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
    0xe5, 0x7a, 0x3b, 0xcf,  // CRC32 fingerprint
};

// RFC 5769 2.2: a Binding success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const Bytes kRfcIpv4Response = {
    0x01, 0x01, 0x00, 0x3c,  // Response type and message length
    0x21, 0x12, 0xa4, 0x42,  // Magic cookie
    0xb7, 0xe7, 0xa7, 0x01,  // }
    0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
    0xfa, 0x87, 0xdf, 0xae,  // }
    0x80, 0x22, 0x00, 0x0b,  // SOFTWARE attribute header
    0x74, 0x65, 0x73, 0x74,  // }
    0x20, 0x76, 0x65, 0x63,  // }  UTF-8 server name
    0x74, 0x6f, 0x72, 0x20,  // }
    0x00, 0x20, 0x00, 0x08,  // XOR-MAPPED-ADDRESS attribute header
    0x00, 0x01, 0xa1, 0x47,  // Address family (IPv4) and xor'd mapped port number
    0xe1, 0x12, 0xa6, 0x43,  // Xor'd mapped IPv4 address
    0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
    0x2b, 0x91, 0xf5, 0x99,  // }
    0xfd, 0x9e, 0x90, 0xc3,  // }
    0x8c, 0x74, 0x89, 0xf9,  // }  HMAC-SHA1 fingerprint
    0x2a, 0xf9, 0xba, 0x53,  // }
    0xf0, 0x6b, 0xe7, 0xd7,  // }
    0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
    0xc0, 0x7d, 0x4c, 0x96,  // CRC32 fingerprint
};

// RFC 5769 2.3: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const Bytes kRfcIpv6Response = {
    0x01, 0x01, 0x00, 0x48,  // Response type and message length
    0x21, 0x12, 0xa4, 0x42,  // Magic cookie
    0xb7, 0xe7, 0xa7, 0x01,  // }
    0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
    0xfa, 0x87, 0xdf, 0xae,  // }
    0x80, 0x22, 0x00, 0x0b,  // SOFTWARE attribute header
    0x74, 0x65, 0x73, 0x74,  // }
    0x20, 0x76, 0x65, 0x63,  // }  UTF-8 server name
    0x74, 0x6f, 0x72, 0x20,  // }
    0x00, 0x20, 0x00, 0x14,  // XOR-MAPPED-ADDRESS attribute header
    0x00, 0x02, 0xa1, 0x47,  // Address family (IPv6) and xor'd mapped port number
    0x01, 0x13, 0xa9, 0xfa,  // }
    0xa5, 0xd3, 0xf1, 0x79,  // }  Xor'd mapped IPv6 address
    0xbc, 0x25, 0xf4, 0xb5,  // }
    0xbe, 0xd2, 0xb9, 0xd9,  // }
    0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
    0xa3, 0x82, 0x95, 0x4e,  // }
    0x4b, 0xe6, 0x7b, 0xf1,  // }
    0x17, 0x84, 0xc9, 0x7c,  // }  HMAC-SHA1 fingerprint
    0x82, 0x92, 0xc2, 0x75,  // }
    0xbf, 0xe3, 0xed, 0x41,  // }
    0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
    0xc8, 0xfb, 0x0b, 0x4c,  // CRC32 fingerprint
};

// Attributes of hand-made messages, as they go on the wire.
const Bytes kXorMapped192_0_2_1 = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
                                   0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};
const Bytes kMapped198_51_100_7_port_3478 = {0x00, 0x01, 0x00, 0x08, 0x00, 0x01,
                                             0x0d, 0x96, 198,  51,   100,  7};
const Bytes kMessageIntegrity = {0x00, 0x08, 0x00, 0x14, 1,  2,  3,  4,  5,  6,  7,  8,
                                 9,    10,   11,   12,   13, 14, 15, 16, 17, 18, 19, 20};

// A STUN message of `type` with RFC 5769's transaction id and these attributes; the length
// field says their size (or `length` if given).
Bytes message(uint16_t type, std::initializer_list<Bytes> attributes, int length = -1) {
    std::size_t size = 20;
    for (const Bytes& a : attributes) size += a.size();
    Bytes m(size);
    const std::size_t n = length >= 0 ? std::size_t(length) : size - 20;
    const uint8_t header[8] = {
        uint8_t(type >> 8), uint8_t(type), uint8_t(n >> 8), uint8_t(n), 0x21, 0x12, 0xa4, 0x42};
    std::copy(header, header + 8, m.begin());
    std::copy(kRfcId.begin(), kRfcId.end(), m.begin() + 8);
    auto at = m.begin() + 20;
    for (const Bytes& a : attributes) at = std::copy(a.begin(), a.end(), at);
    return m;
}

Address ip(const char* text, uint16_t port) {
    Resolved r = resolve_udp(text, port);
    REQUIRE(r.address);
    return *r.address;
}

}  // namespace

TEST_CASE("stun message: RFC 5769 2.1's sample request looks like STUN but is no response") {
    CHECK(looks_like_stun(kRfcRequest));
    CHECK_FALSE(parse_stun_binding_response(kRfcRequest, kRfcId));
}

TEST_CASE("stun message: RFC 5769 2.2's IPv4 response maps to 192.0.2.1:32853") {
    CHECK(looks_like_stun(kRfcIpv4Response));
    const auto mapped = parse_stun_binding_response(kRfcIpv4Response, kRfcId);
    REQUIRE(mapped);
    CHECK(mapped->family() == AF_INET);
    CHECK(mapped->to_string() == "192.0.2.1:32853");
    CHECK(*mapped == ip("192.0.2.1", 32853));
}

TEST_CASE(
    "stun message: RFC 5769 2.3's IPv6 response maps to 2001:db8:1234:5678:11:2233:4455:6677 "
    "port 32853") {
    CHECK(looks_like_stun(kRfcIpv6Response));
    const auto mapped = parse_stun_binding_response(kRfcIpv6Response, kRfcId);
    REQUIRE(mapped);
    CHECK(mapped->family() == AF_INET6);
    CHECK(mapped->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    CHECK(*mapped == ip("2001:db8:1234:5678:11:2233:4455:6677", 32853));
}

TEST_CASE("stun message: a response to another transaction gives nothing") {
    for (std::size_t i = 0; i < kRfcId.size(); ++i) {
        StunTransactionId other = kRfcId;
        other[i] ^= 0x01;
        CHECK_FALSE(parse_stun_binding_response(kRfcIpv4Response, other));
        CHECK_FALSE(parse_stun_binding_response(kRfcIpv6Response, other));
    }
}

TEST_CASE("stun message: an error response, a request or an indication gives nothing") {
    // Binding error response (class 0x0111) with ERROR-CODE 400 and, to be sure, an address.
    const Bytes error_code = {0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 0x00};
    CHECK_FALSE(
        parse_stun_binding_response(message(0x0111, {error_code, kXorMapped192_0_2_1}), kRfcId));
    CHECK_FALSE(parse_stun_binding_response(message(0x0001, {kXorMapped192_0_2_1}), kRfcId));
    CHECK_FALSE(parse_stun_binding_response(message(0x0011, {kXorMapped192_0_2_1}), kRfcId));
    // Another method's success response (Allocate, 0x0103).
    CHECK_FALSE(parse_stun_binding_response(message(0x0103, {kXorMapped192_0_2_1}), kRfcId));
    // The same bytes as a Binding success response do map.
    CHECK(parse_stun_binding_response(message(0x0101, {kXorMapped192_0_2_1}), kRfcId));
}

TEST_CASE("stun message: truncated attributes give nothing") {
    // XOR-MAPPED-ADDRESS says 8 bytes, 4 follow (the header's length is right: 8).
    const Bytes cut = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47};
    CHECK(looks_like_stun(message(0x0101, {cut})));
    CHECK_FALSE(parse_stun_binding_response(message(0x0101, {cut}), kRfcId));
    // An attribute after the address runs past the end: the whole message is refused.
    const Bytes long_software = {0x80, 0x22, 0x00, 0x40, 0x74, 0x65, 0x73, 0x74};
    CHECK_FALSE(
        parse_stun_binding_response(message(0x0101, {kXorMapped192_0_2_1, long_software}), kRfcId));
    // A value whose padding would run past the end (5 bytes, then nothing).
    const Bytes unpadded = {0x80, 0x22, 0x00, 0x05, 0x74, 0x65, 0x73, 0x74};
    CHECK_FALSE(
        parse_stun_binding_response(message(0x0101, {kXorMapped192_0_2_1, unpadded}), kRfcId));
    // The RFC's response cut anywhere, length field mended to the cut: never an address unless
    // the cut falls after MESSAGE-INTEGRITY (the FINGERPRINT is optional).
    for (std::size_t size = 20; size < kRfcIpv4Response.size(); size += 4) {
        Bytes m(kRfcIpv4Response.begin(), kRfcIpv4Response.begin() + std::ptrdiff_t(size));
        m[3] = uint8_t(size - 20);
        const bool whole_attributes = size == 20 || size == 36 || size == 48 || size == 72;
        CAPTURE(size);
        CHECK(parse_stun_binding_response(m, kRfcId).has_value() ==
              (whole_attributes && size >= 48));
    }
}

TEST_CASE("stun message: a length field that lies about the size gives nothing") {
    Bytes m = kRfcIpv4Response;
    m[3] = 0x40;  // 4 more than there are
    CHECK_FALSE(looks_like_stun(m));
    CHECK_FALSE(parse_stun_binding_response(m, kRfcId));
    m[3] = 0x38;  // 4 fewer
    CHECK_FALSE(looks_like_stun(m));
    CHECK_FALSE(parse_stun_binding_response(m, kRfcId));
    m[3] = 0x3d;  // not a multiple of 4
    m.push_back(0);
    CHECK_FALSE(looks_like_stun(m));
    CHECK_FALSE(parse_stun_binding_response(m, kRfcId));
    // Every prefix of the real thing is refused, with its length field untouched.
    for (std::size_t size = 0; size < kRfcIpv4Response.size(); ++size) {
        const std::span<const uint8_t> prefix(kRfcIpv4Response.data(), size);
        CHECK_FALSE(looks_like_stun(prefix));
        CHECK_FALSE(parse_stun_binding_response(prefix, kRfcId));
    }
}

TEST_CASE("stun message: a FINGERPRINT that does not match, or is not last, gives nothing") {
    Bytes m = kRfcIpv4Response;
    m[24] ^= 0x20;  // "Test vector": the HMAC no longer matches either, but that is not checked
    CHECK(looks_like_stun(m));
    CHECK_FALSE(parse_stun_binding_response(m, kRfcId));
    const Bytes fingerprint(kRfcIpv4Response.end() - 8, kRfcIpv4Response.end());
    CHECK_FALSE(
        parse_stun_binding_response(message(0x0101, {fingerprint, kXorMapped192_0_2_1}), kRfcId));
}

TEST_CASE("stun message: MAPPED-ADDRESS when there is no XOR-MAPPED-ADDRESS, never over it") {
    const auto plain =
        parse_stun_binding_response(message(0x0101, {kMapped198_51_100_7_port_3478}), kRfcId);
    REQUIRE(plain);
    CHECK(plain->to_string() == "198.51.100.7:3478");
    for (const auto& m : {message(0x0101, {kMapped198_51_100_7_port_3478, kXorMapped192_0_2_1}),
                          message(0x0101, {kXorMapped192_0_2_1, kMapped198_51_100_7_port_3478})}) {
        const auto mapped = parse_stun_binding_response(m, kRfcId);
        REQUIRE(mapped);
        CHECK(mapped->to_string() == "192.0.2.1:32853");
    }
    CHECK_FALSE(parse_stun_binding_response(message(0x0101, {}), kRfcId));
}

TEST_CASE("stun message: address attributes after MESSAGE-INTEGRITY are not taken") {
    CHECK_FALSE(parse_stun_binding_response(
        message(0x0101, {kMessageIntegrity, kXorMapped192_0_2_1}), kRfcId));
    const auto mapped = parse_stun_binding_response(
        message(0x0101, {kMapped198_51_100_7_port_3478, kMessageIntegrity, kXorMapped192_0_2_1}),
        kRfcId);
    REQUIRE(mapped);
    CHECK(mapped->to_string() == "198.51.100.7:3478");
}

TEST_CASE("stun message: an address of the wrong size or an unknown family gives nothing") {
    const Bytes ipv4_with_16_bytes = {0x00, 0x20, 0x00, 0x14, 0x00, 0x01, 0xa1, 0x47, 0, 0, 0, 0,
                                      0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0};
    const Bytes ipv6_with_4_bytes = {0x00, 0x20, 0x00, 0x08, 0x00, 0x02,
                                     0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};
    const Bytes family_3 = {0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};
    const Bytes empty = {0x00, 0x20, 0x00, 0x00};
    const Bytes plain_family_0 = {0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x0d, 0x96, 198, 51, 100, 7};
    for (const Bytes& a : {ipv4_with_16_bytes, ipv6_with_4_bytes, family_3, empty, plain_family_0})
        CHECK_FALSE(parse_stun_binding_response(message(0x0101, {a}), kRfcId));
}

TEST_CASE("stun message: a Binding request is 20 fixed bytes, ids are fresh") {
    const Bytes expected = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7,
                            0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
    CHECK(encode_stun_binding_request(kRfcId) == expected);
    CHECK(looks_like_stun(expected));
    CHECK_FALSE(parse_stun_binding_response(expected, kRfcId));

    const StunTransactionId a = new_stun_transaction_id();
    const StunTransactionId b = new_stun_transaction_id();
    CHECK(a != b);
    CHECK(encode_stun_binding_request(a).size() == 20);
}

TEST_CASE("stun message: TS packets and sealed datagrams are never STUN, nor STUN either of them") {
    // A 20-byte STUN header with its first byte replaced: 0x47 (TS), 0xE5 and 0xE4 (sealed).
    for (uint8_t first : {uint8_t{0x47}, kSealMagic, kSealShortMagic}) {
        Bytes m = encode_stun_binding_request(kRfcId);
        m[0] = first;
        CHECK_FALSE(looks_like_stun(m));
    }
    // A real TS datagram and real sealed ones, long and short headers.
    Bytes ts(7 * kTsPacketSize, 0xff);
    for (std::size_t i = 0; i < ts.size(); i += kTsPacketSize) ts[i] = 0x47;
    REQUIRE(is_ts_datagram(ts));
    CHECK_FALSE(looks_like_stun(ts));
    Key32 key{};
    key.fill(7);
    for (bool long_header : {true, false}) {
        SealHeader h;
        h.sender = 1;
        h.epoch = long_header ? 0x0123456789abcdef : 0;
        h.counter = 42;
        h.names_epoch = long_header;
        Bytes sealed(ts.size() + seal_overhead(h));
        REQUIRE(seal_datagram(key, h, ts, sealed) == sealed.size());
        CHECK_FALSE(looks_like_stun(sealed));
    }
    // And the other way round: STUN is neither TS nor sealed.
    for (const Bytes& m : {kRfcRequest, kRfcIpv4Response, kRfcIpv6Response}) {
        CHECK_FALSE(is_ts_datagram(m));
        CHECK_FALSE(peek_seal_header(m));
    }
}
