// Tests daemon/util/frame_stamp and protocol/capture_stamp: the capture-time SEI on AVFrame side data.
#include "daemon/util/frame_stamp.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/frame.h>
}

namespace {

struct FrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using Frame = std::unique_ptr<AVFrame, FrameDeleter>;

Frame new_frame() {
    Frame f(av_frame_alloc());
    REQUIRE(f);
    return f;
}

std::vector<uint8_t> stamp_payload(uint64_t wall_us) {
    std::vector<uint8_t> p(meshcall::kCaptureStampUuid, meshcall::kCaptureStampUuid + 16);
    for (int i = 7; i >= 0; --i) p.push_back(static_cast<uint8_t>(wall_us >> (8 * i)));
    return p;
}

}  // namespace

TEST_CASE("capture stamp: attach then read gives the same time") {
    Frame f = new_frame();
    const int64_t t = 1'700'000'000'123'456;
    REQUIRE(meshcall::attach_capture_stamp(f.get(), t));
    const auto read = meshcall::read_capture_stamp(f.get());
    REQUIRE(read);
    CHECK(*read == t);
}

TEST_CASE("capture stamp: the side data is the UUID then the time big-endian") {
    Frame f = new_frame();
    REQUIRE(meshcall::attach_capture_stamp(f.get(), 0x0102030405060708));
    const AVFrameSideData* sd = av_frame_get_side_data(f.get(), AV_FRAME_DATA_SEI_UNREGISTERED);
    REQUIRE(sd);
    REQUIRE(sd->size == 24);
    CHECK(std::memcmp(sd->data, meshcall::kCaptureStampUuid, 16) == 0);
    const uint8_t time[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(std::memcmp(sd->data + 16, time, 8) == 0);
}

TEST_CASE("capture stamp: zero, negative and extreme times survive the round trip") {
    for (int64_t t : {int64_t{0}, int64_t{-1}, int64_t{-1'000'000}, INT64_MAX, INT64_MIN}) {
        INFO("time ", t);
        Frame f = new_frame();
        REQUIRE(meshcall::attach_capture_stamp(f.get(), t));
        const auto read = meshcall::read_capture_stamp(f.get());
        REQUIRE(read);
        CHECK(*read == t);
    }
}

TEST_CASE("capture stamp: a frame without side data has no stamp") {
    Frame f = new_frame();
    CHECK(!meshcall::read_capture_stamp(f.get()));
}

TEST_CASE("capture stamp: someone else's unregistered SEI is not a stamp") {
    Frame f = new_frame();
    AVFrameSideData* other = av_frame_new_side_data(f.get(), AV_FRAME_DATA_SEI_UNREGISTERED, 24);
    REQUIRE(other);
    std::memset(other->data, 0x5a, 24);  // x264 writes its own version string this way
    CHECK(!meshcall::read_capture_stamp(f.get()));

    // Ours after theirs is still found.
    REQUIRE(meshcall::attach_capture_stamp(f.get(), 99));
    const auto read = meshcall::read_capture_stamp(f.get());
    REQUIRE(read);
    CHECK(*read == 99);
}

TEST_CASE("capture stamp: the stamp follows a frame reference") {
    Frame f = new_frame();
    f->format = AV_PIX_FMT_GRAY8;
    f->width = 16;
    f->height = 16;
    REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
    REQUIRE(meshcall::attach_capture_stamp(f.get(), 123456789));
    Frame copy = new_frame();
    REQUIRE(av_frame_ref(copy.get(), f.get()) == 0);
    f.reset();
    const auto read = meshcall::read_capture_stamp(copy.get());
    REQUIRE(read);
    CHECK(*read == 123456789);
}

TEST_CASE("capture stamp: parse_capture_stamp on fixed bytes") {
    const auto one = stamp_payload(1);
    const auto parsed = meshcall::parse_capture_stamp(one);
    REQUIRE(parsed);
    CHECK(*parsed == 1);

    const uint8_t fixed[24] = {0x6d, 0x65, 0x73, 0x68, 0x63, 0x61, 0x6c, 0x6c,  // "meshcall"
                               0x2d, 0x63, 0x61, 0x70, 0x74, 0x75, 0x72, 0x65,  // "-capture"
                               0x00, 0x06, 0x0a, 0x3a, 0x8b, 0x7c, 0x6e, 0x40};
    const auto t = meshcall::parse_capture_stamp(fixed);
    REQUIRE(t);
    CHECK(*t == 0x00060a3a8b7c6e40);
}

TEST_CASE("capture stamp: a payload with trailing bytes still parses") {
    auto p = stamp_payload(0x1234);
    p.push_back(0x80);  // rbsp trailing bits, as some decoders leave them
    p.push_back(0x00);
    const auto t = meshcall::parse_capture_stamp(p);
    REQUIRE(t);
    CHECK(*t == 0x1234);
}

TEST_CASE("capture stamp: a short payload or a wrong UUID is rejected") {
    auto p = stamp_payload(5);
    CHECK(!meshcall::parse_capture_stamp(std::span(p).first(23)));
    CHECK(!meshcall::parse_capture_stamp(std::span(p).first(16)));
    CHECK(!meshcall::parse_capture_stamp({}));
    p[15] ^= 0x01;
    CHECK(!meshcall::parse_capture_stamp(p));
    p[15] ^= 0x01;
    p[0] = 0x00;
    CHECK(!meshcall::parse_capture_stamp(p));
}
