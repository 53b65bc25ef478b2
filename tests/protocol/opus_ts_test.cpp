// Tests protocol/opus_ts: splitting an Opus-in-TS PES payload into Opus packets, on fixed bytes.
#include "protocol/opus_ts.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

std::vector<Bytes> split(const Bytes& in) {
    std::vector<Bytes> out;
    for (auto unit : meshcall::split_opus_ts(in)) out.emplace_back(unit.begin(), unit.end());
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes counting(std::size_t n, uint8_t first = 0) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
    return b;
}

}  // namespace

TEST_CASE("opus-ts: one access unit") {
    const Bytes in = {0x7f, 0xe0, 0x03, 0xaa, 0xbb, 0xcc};
    const auto units = split(in);
    REQUIRE(units.size() == 1);
    CHECK(units[0] == Bytes{0xaa, 0xbb, 0xcc});
}

TEST_CASE("opus-ts: the packets are views into the input") {
    const Bytes in = {0x7f, 0xe0, 0x02, 0x11, 0x22};
    const auto units = meshcall::split_opus_ts(in);
    REQUIRE(units.size() == 1);
    CHECK(units[0].data() == in.data() + 3);
    CHECK(units[0].size() == 2);
}

TEST_CASE("opus-ts: two access units back to back") {
    const Bytes in = {0x7f, 0xe0, 0x02, 0x01, 0x02, 0x7f, 0xe0, 0x04, 0x0a, 0x0b, 0x0c, 0x0d};
    const auto units = split(in);
    REQUIRE(units.size() == 2);
    CHECK(units[0] == Bytes{0x01, 0x02});
    CHECK(units[1] == Bytes{0x0a, 0x0b, 0x0c, 0x0d});
}

TEST_CASE("opus-ts: a 300-byte unit has the size bytes 0xff 0x2d") {
    const Bytes payload = counting(300);
    const Bytes in = concat({{0x7f, 0xe0, 0xff, 0x2d}, payload, {0x7f, 0xe0, 0x01, 0x99}});
    const auto units = split(in);
    REQUIRE(units.size() == 2);
    CHECK(units[0] == payload);
    CHECK(units[1] == Bytes{0x99});
}

TEST_CASE("opus-ts: a 255-byte unit ends its size with a zero byte") {
    const Bytes payload = counting(255, 7);
    const auto units = split(concat({{0x7f, 0xe0, 0xff, 0x00}, payload}));
    REQUIRE(units.size() == 1);
    CHECK(units[0] == payload);
}

TEST_CASE("opus-ts: a 600-byte unit uses two 0xff size bytes") {
    const Bytes payload = counting(600);
    const auto units = split(concat({{0x7f, 0xe0, 0xff, 0xff, 0x5a}, payload}));
    REQUIRE(units.size() == 1);
    CHECK(units[0].size() == 600);
    CHECK(units[0] == payload);
}

TEST_CASE("opus-ts: a start trim is skipped") {
    const Bytes in = {0x7f, 0xf0, 0x02, 0x01, 0x38, 0xde, 0xad};
    const auto units = split(in);
    REQUIRE(units.size() == 1);
    CHECK(units[0] == Bytes{0xde, 0xad});
}

TEST_CASE("opus-ts: an end trim is skipped") {
    const Bytes in = {0x7f, 0xe8, 0x01, 0x00, 0x50, 0x42};
    const auto units = split(in);
    REQUIRE(units.size() == 1);
    CHECK(units[0] == Bytes{0x42});
}

TEST_CASE("opus-ts: start and end trims together") {
    const Bytes in = {0x7f, 0xf8, 0x03, 0x00, 0x10, 0x00, 0x20,
                      0x01, 0x02, 0x03, 0x7f, 0xe0, 0x01, 0x04};
    const auto units = split(in);
    REQUIRE(units.size() == 2);
    CHECK(units[0] == Bytes{0x01, 0x02, 0x03});
    CHECK(units[1] == Bytes{0x04});
}

TEST_CASE("opus-ts: a control extension is skipped by its length") {
    const Bytes in = {0x7f, 0xe4, 0x02, 0x03, 0xe1, 0xe2, 0xe3, 0x55, 0x66};
    const auto units = split(in);
    REQUIRE(units.size() == 1);
    CHECK(units[0] == Bytes{0x55, 0x66});
}

TEST_CASE("opus-ts: a zero-length unit is kept") {
    const auto units = split({0x7f, 0xe0, 0x00, 0x7f, 0xe0, 0x01, 0x33});
    REQUIRE(units.size() == 2);
    CHECK(units[0].empty());
    CHECK(units[1] == Bytes{0x33});
}

TEST_CASE("opus-ts: empty input gives no packets") {
    CHECK(split({}).empty());
    CHECK(split({0x7f}).empty());
}

TEST_CASE("opus-ts: a unit shorter than its size is dropped, earlier units kept") {
    CHECK(split({0x7f, 0xe0, 0x05, 0x01, 0x02, 0x03}).empty());
    const auto units = split({0x7f, 0xe0, 0x01, 0xaa, 0x7f, 0xe0, 0x05, 0x01, 0x02});
    REQUIRE(units.size() == 1);
    CHECK(units[0] == Bytes{0xaa});
}

TEST_CASE("opus-ts: input that ends inside the size or the trims gives nothing for that unit") {
    CHECK(split({0x7f, 0xe0}).empty());
    CHECK(split({0x7f, 0xe0, 0xff}).empty());
    CHECK(split({0x7f, 0xe0, 0xff, 0xff}).empty());
    CHECK(split({0x7f, 0xf0, 0x00}).empty());
    CHECK(split({0x7f, 0xf0, 0x00, 0x01}).empty());
    CHECK(split({0x7f, 0xf8, 0x00, 0x00, 0x01}).empty());
    CHECK(split({0x7f, 0xe4, 0x00}).empty());
    CHECK(split({0x7f, 0xe4, 0x00, 0x05, 0x01}).empty());
}

TEST_CASE("opus-ts: a size larger than the input is not read past the end") {
    Bytes in = {0x7f, 0xe0};
    in.insert(in.end(), 40, 0xff);  // claims 40 x 255 bytes
    in.push_back(0x10);
    in.insert(in.end(), 50, 0xab);
    CHECK(split(in).empty());
}

TEST_CASE("opus-ts: garbage gives no packets") {
    CHECK(split({0x00, 0x01, 0x02, 0x03}).empty());
    CHECK(split({0x7f, 0x00, 0x01, 0xaa}).empty());  // wrong low bits of the prefix
    CHECK(split({0x7e, 0xe0, 0x01, 0xaa}).empty());
    CHECK(split({0xff, 0xe0, 0x01, 0xaa}).empty());
    Bytes noise(500);
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 37 + 11);
    CHECK(split(noise).empty());
}

TEST_CASE("opus-ts: garbage after good units ends the list, keeping the good units") {
    const auto units = split({0x7f, 0xe0, 0x01, 0x10, 0x7f, 0xe0, 0x01, 0x20, 0x12, 0x34, 0x56});
    REQUIRE(units.size() == 2);
    CHECK(units[0] == Bytes{0x10});
    CHECK(units[1] == Bytes{0x20});
}

TEST_CASE("opus-ts: the Opus packet one or more TS packets carry as one PES") {
    // 188 - 4 (TS header) - 8 (adaptation field with a PCR) - 14 (PES header with a PTS)
    // - 3 (control header with a one-byte size) = 159.
    CHECK(meshcall::opus_ts_capacity(1) == 159);
    // 2 x 184 - 22 - 2 = 344 bytes for the unit and its size: 342 with a two-byte size.
    CHECK(meshcall::opus_ts_capacity(2) == 342);
    CHECK(meshcall::opus_ts_capacity(0) == 0);
}
