// Tests daemon/latest_frame: the latest-wins video slot (publish, take_if_newer, clear,
// generation).
#include "daemon/util/latest_frame.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

extern "C" {
#include <libavutil/time.h>
}

using meshcall::FramePtr;
using meshcall::LatestFrame;

namespace {

// A 16x16 gray frame filled with `value`, with pts `pts`.
FramePtr gray_frame(uint8_t value, int64_t pts = 0) {
    FramePtr f = meshcall::make_frame();
    REQUIRE(f);
    f->format = AV_PIX_FMT_GRAY8;
    f->width = 16;
    f->height = 16;
    REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
    for (int y = 0; y < 16; ++y) std::memset(f->data[0] + y * f->linesize[0], value, 16);
    f->pts = pts;
    return f;
}

bool filled_with(const AVFrame* f, uint8_t value) {
    for (int y = 0; y < f->height; ++y)
        for (int x = 0; x < f->width; ++x)
            if (f->data[0][y * f->linesize[0] + x] != value) return false;
    return true;
}

}  // namespace

TEST_CASE("latest frame: a new slot is empty at generation 0") {
    LatestFrame slot;
    CHECK(slot.generation() == 0);
    CHECK(!slot.has_frame());
    uint64_t seen = 0;
    CHECK(slot.take_if_newer(seen) == nullptr);
    CHECK(seen == 0);
}

TEST_CASE("latest frame: publish then take gives the picture once") {
    LatestFrame slot;
    FramePtr f = gray_frame(0x40, 7);
    slot.publish(f.get());
    CHECK(slot.generation() == 1);
    CHECK(slot.has_frame());

    uint64_t seen = 0;
    FramePtr got = slot.take_if_newer(seen);
    REQUIRE(got);
    CHECK(seen == 1);
    CHECK(got->width == 16);
    CHECK(got->height == 16);
    CHECK(got->format == AV_PIX_FMT_GRAY8);
    CHECK(got->pts == 7);
    CHECK(filled_with(got.get(), 0x40));
    // A reference, not a copy: the same buffer.
    CHECK(got->data[0] == f->data[0]);

    CHECK(slot.take_if_newer(seen) == nullptr);
    CHECK(seen == 1);
    // The slot still holds the frame for other readers.
    CHECK(slot.has_frame());
    uint64_t other = 0;
    CHECK(slot.take_if_newer(other) != nullptr);
}

TEST_CASE("latest frame: the newest publish wins and generations count every publish") {
    LatestFrame slot;
    for (int i = 1; i <= 5; ++i) {
        FramePtr f = gray_frame(static_cast<uint8_t>(i), i);
        slot.publish(f.get());
    }
    CHECK(slot.generation() == 5);
    uint64_t seen = 0;
    FramePtr got = slot.take_if_newer(seen);
    REQUIRE(got);
    CHECK(seen == 5);
    CHECK(got->pts == 5);
    CHECK(filled_with(got.get(), 5));
}

TEST_CASE("latest frame: the published frame may be freed by the producer") {
    LatestFrame slot;
    {
        FramePtr f = gray_frame(0x99);
        slot.publish(f.get());
    }
    uint64_t seen = 0;
    FramePtr got = slot.take_if_newer(seen);
    REQUIRE(got);
    CHECK(filled_with(got.get(), 0x99));
}

TEST_CASE("latest frame: a taken frame stays valid after later publishes and a clear") {
    LatestFrame slot;
    FramePtr first = gray_frame(0x11);
    slot.publish(first.get());
    first.reset();
    uint64_t seen = 0;
    FramePtr got = slot.take_if_newer(seen);
    REQUIRE(got);
    FramePtr second = gray_frame(0x22);
    slot.publish(second.get());
    slot.clear();
    CHECK(filled_with(got.get(), 0x11));
}

TEST_CASE("latest frame: clear empties the slot and moves the generation") {
    LatestFrame slot;
    FramePtr f = gray_frame(0x10);
    slot.publish(f.get());
    uint64_t seen = 0;
    REQUIRE(slot.take_if_newer(seen));
    CHECK(seen == 1);

    slot.clear();
    CHECK(slot.generation() == 2);
    CHECK(!slot.has_frame());
    // The reader learns there is no picture (nullptr) and is up to date afterwards.
    CHECK(slot.take_if_newer(seen) == nullptr);
    CHECK(seen == 2);
    CHECK(slot.take_if_newer(seen) == nullptr);

    slot.publish(f.get());
    CHECK(slot.generation() == 3);
    FramePtr again = slot.take_if_newer(seen);
    REQUIRE(again);
    CHECK(seen == 3);
}

TEST_CASE("latest frame: clear on an empty slot still changes the generation") {
    LatestFrame slot;
    slot.clear();
    CHECK(slot.generation() == 1);
    CHECK(!slot.has_frame());
    uint64_t seen = 0;
    CHECK(slot.take_if_newer(seen) == nullptr);
    CHECK(seen == 1);
}

TEST_CASE("latest frame: a reader on another thread sees pictures only move forward") {
    LatestFrame slot;
    constexpr int kFrames = 2000;
    std::atomic<bool> done{false};
    int64_t last_pts = -1;
    bool forward = true;
    bool intact = true;
    std::thread reader([&] {
        uint64_t seen = 0;
        while (!done.load()) {
            if (FramePtr f = slot.take_if_newer(seen)) {
                forward = forward && f->pts > last_pts;
                intact = intact && filled_with(f.get(), static_cast<uint8_t>(f->pts));
                last_pts = f->pts;
            } else {
                std::this_thread::yield();
            }
        }
        if (FramePtr f = slot.take_if_newer(seen)) last_pts = f->pts;
    });
    for (int i = 0; i < kFrames; ++i) {
        FramePtr f = gray_frame(static_cast<uint8_t>(i), i);
        slot.publish(f.get());
    }
    done = true;
    reader.join();
    CHECK(forward);
    CHECK(intact);
    CHECK(last_pts == kFrames - 1);
    CHECK(slot.generation() == kFrames);
}

// Lip sync: a frame published for a later moment waits; one whose moment has come is shown.
TEST_CASE("latest frame: a frame held for later is not shown before its moment") {
    LatestFrame slot;
    const int64_t now = av_gettime_relative();
    slot.publish(gray_frame(1).get());
    uint64_t seen = 0;
    REQUIRE(slot.take_if_newer(seen));
    slot.publish_at(gray_frame(2).get(), now + 60'000'000, now + 60'000'000);  // a minute on
    CHECK(slot.has_frame());
    CHECK_FALSE(slot.take_if_newer(seen));  // still the old one, and nothing newer
    CHECK_FALSE(slot.lateness_us());        // no scheduled frame shown yet
}

TEST_CASE("latest frame: held frames are shown in order once due, with their lateness") {
    LatestFrame slot;
    const int64_t now = av_gettime_relative();
    // Due 200 ms ago, wanted 300 ms ago: shown at once, 300 ms late.
    slot.publish_at(gray_frame(3).get(), now - 200'000, now - 300'000);
    uint64_t seen = 0;
    FramePtr f = slot.take_if_newer(seen);
    REQUIRE(f);
    CHECK(filled_with(f.get(), 3));
    REQUIRE(slot.lateness_us());
    CHECK(*slot.lateness_us() >= 300'000);
    CHECK(*slot.lateness_us() < 1'300'000);
    // One due soon, then a plain publish: the picture for now replaces the waiting one.
    slot.publish_at(gray_frame(4).get(), now + 60'000'000, now + 60'000'000);
    slot.publish(gray_frame(5).get());
    f = slot.take_if_newer(seen);
    REQUIRE(f);
    CHECK(filled_with(f.get(), 5));
}

TEST_CASE("latest frame: a full queue of held frames lets its oldest through") {
    LatestFrame slot;
    const int64_t later = av_gettime_relative() + 60'000'000;
    for (std::size_t i = 0; i <= LatestFrame::kMaxHeld; ++i)
        slot.publish_at(gray_frame(static_cast<uint8_t>(10 + i)).get(), later, later);
    uint64_t seen = 0;
    FramePtr f = slot.take_if_newer(seen);
    REQUIRE(f);
    CHECK(filled_with(f.get(), 10));  // the oldest, early (negative lateness)
    REQUIRE(slot.lateness_us());
    CHECK(*slot.lateness_us() < -50'000'000);
    slot.clear();  // drops the held ones too
    CHECK_FALSE(slot.has_frame());
}
