// EndpointReport: the members' endpoint reports on fixed bytes.
#include "protocol/endpoint_report.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "protocol/peer_message.hpp"

using namespace meshcall;

namespace {
Address at(const std::string& host, uint16_t port) {
    return *resolve_udp(host, port).address;
}
std::vector<uint8_t> datagram_of(const std::vector<std::array<uint8_t, kTsPacketSize>>& packets) {
    std::vector<uint8_t> d;
    for (const auto& p : packets) d.insert(d.end(), p.begin(), p.end());
    return d;
}
}  // namespace

TEST_CASE("endpoint report: encodes to the documented bytes") {
    const std::vector<ReportedEndpoint> entries = {{2, at("11.0.0.7", 0x1389)}};
    const auto packets = encode_endpoint_report(entries, 0x13);
    REQUIRE(packets.size() == 1);
    const auto& p = packets[0];
    const std::vector<uint8_t> head = {0x47, 0x5f, 0x00, 0x13, 'M', 'C', 'E', '1', 1, 1,
                                       2,    4,    11,   0,    0,   7,   0x13, 0x89};
    CHECK(std::vector<uint8_t>(p.begin(), p.begin() + long(head.size())) == head);
    for (std::size_t i = head.size(); i < p.size(); ++i) CHECK(p[i] == 0xff);
}

TEST_CASE("endpoint report: round trip, IPv4 and IPv6, in as many packets as it takes") {
    std::vector<ReportedEndpoint> v4, v6;
    for (uint8_t i = 0; i < 15; ++i) v4.push_back({i, at("192.168.1." + std::to_string(i + 1), 5000 + i)});
    for (uint8_t i = 0; i < 15; ++i) v6.push_back({i, at("2001:db8::" + std::to_string(i + 1), 6000 + i)});
    const auto p4 = encode_endpoint_report(v4, 0);
    CHECK(p4.size() == 1);  // 22 IPv4 entries fit a packet
    const auto p6 = encode_endpoint_report(v6, 0);
    CHECK(p6.size() == 2);  // 8 IPv6 entries a packet
    CHECK((p6[1][3] & 0x0f) == 1);  // each packet its own continuity counter
    CHECK(find_endpoint_report(datagram_of(p4)) == v4);
    CHECK(find_endpoint_report(datagram_of(p6)) == v6);
    // An empty report still says "I hear no one".
    const auto none = find_endpoint_report(datagram_of(encode_endpoint_report({}, 0)));
    REQUIRE(none);
    CHECK(none->empty());
    // Unknown endpoints are left out.
    const std::vector<ReportedEndpoint> unknown = {{1, Address{}}, {2, at("10.0.0.1", 1)}};
    CHECK(find_endpoint_report(datagram_of(encode_endpoint_report(unknown, 0)))->size() == 1);
}

TEST_CASE("endpoint report: not a presence message, and malformed packets are no report") {
    const auto p = encode_endpoint_report(std::vector<ReportedEndpoint>{{1, at("10.0.0.1", 7)}}, 0)[0];
    CHECK(!decode_peer_message(p));
    const auto presence = encode_peer_message(PeerMessage{"bob", 1}, 0);
    CHECK(!find_endpoint_report(presence));
    auto bad_family = p;
    bad_family[11] = 5;
    CHECK(!find_endpoint_report(bad_family));
    auto too_many = p;
    too_many[9] = 200;  // runs past the packet
    CHECK(!find_endpoint_report(too_many));
    auto other_pid = p;
    other_pid[2] = 0x01;
    CHECK(!find_endpoint_report(other_pid));
}
