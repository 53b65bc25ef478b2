// Tests daemon/receive/av_sync: the stream-time to heard-time map learnt from sound, and the
// moments it gives pictures (held for their sound, never longer than kMaxHoldUs).
#include "daemon/receive/av_sync.hpp"

#include <doctest/doctest.h>

using meshcall::AvSync;
using meshcall::PlayoutClock;

namespace {
constexpr int64_t kSecond = 1'000'000;
constexpr std::size_t k100ms = 4800;  // samples at 48 kHz
}  // namespace

TEST_CASE("av sync: with no sound output pictures are shown at once") {
    PlayoutClock playout;  // nothing plays the mix
    AvSync sync(&playout);
    sync.on_sound(1 * kSecond, k100ms, 5 * kSecond);
    const auto s = sync.schedule_picture(1 * kSecond, 5 * kSecond);
    CHECK(s.show_at_us == 5 * kSecond);
    CHECK_FALSE(sync.active());
}

TEST_CASE("av sync: a picture waits until its sound is heard") {
    PlayoutClock playout;
    playout.set_output_latency_us(20'000);
    AvSync sync(&playout);
    // Sound of stream time 1 s queued behind 100 ms at 5 s: heard at 5.12 s.
    sync.on_sound(1 * kSecond, k100ms, 5 * kSecond);
    auto s = sync.schedule_picture(1 * kSecond, 5 * kSecond);
    CHECK(sync.active());
    CHECK(s.target_us == 5 * kSecond + 120'000);
    CHECK(s.show_at_us == s.target_us);
    // A picture 40 ms later in the stream is shown 40 ms later.
    s = sync.schedule_picture(1 * kSecond + 40'000, 5 * kSecond + 10'000);
    CHECK(s.show_at_us == 5 * kSecond + 160'000);
    // A picture whose sound was heard already is shown at once, its target kept (lateness).
    s = sync.schedule_picture(1 * kSecond - 500'000, 5 * kSecond);
    CHECK(s.show_at_us == 5 * kSecond);
    CHECK(s.target_us == 5 * kSecond - 380'000);
}

TEST_CASE("av sync: no picture is held longer than the bound") {
    PlayoutClock playout;
    playout.set_output_latency_us(0);
    AvSync sync(&playout);
    sync.on_sound(0, 48'000, kSecond);  // a second of sound queued (a sender far ahead)
    const auto s = sync.schedule_picture(0, kSecond);
    CHECK(s.target_us == 2 * kSecond);
    CHECK(s.show_at_us == kSecond + AvSync::kMaxHoldUs);
}

TEST_CASE("av sync: the map is smoothed, a jump is taken at once, silence ends it") {
    PlayoutClock playout;
    playout.set_output_latency_us(0);
    AvSync sync(&playout);
    sync.on_sound(0, 0, kSecond);               // offset 1 s
    sync.on_sound(20'000, 960, kSecond + 20'000);  // offset 1.02 s: smoothed, moves 1/16
    auto s = sync.schedule_picture(0, kSecond);
    CHECK(s.target_us > kSecond);
    CHECK(s.target_us < kSecond + 20'000);
    sync.on_sound(40'000, 0, 3 * kSecond);  // offset ~2.96 s: a new timing, taken
    s = sync.schedule_picture(40'000, 3 * kSecond);
    CHECK(s.target_us == 3 * kSecond);
    // No sound for longer than the timeout: pictures at once again.
    s = sync.schedule_picture(60'000, 3 * kSecond + AvSync::kSoundTimeoutUs + 1);
    CHECK_FALSE(sync.active());
    CHECK(s.show_at_us == 3 * kSecond + AvSync::kSoundTimeoutUs + 1);
    sync.reset();
    s = sync.schedule_picture(60'000, 3 * kSecond);
    CHECK_FALSE(sync.active());
}

TEST_CASE("av sync: a picture off the sound's timeline is shown at once") {
    PlayoutClock playout;
    playout.set_output_latency_us(10'000);
    AvSync sync(&playout);
    // A first block whose timestamp has not been unwrapped yet (2^33 ticks of 90 kHz).
    sync.on_sound(95'443'717'000, 1920, kSecond);
    const auto s = sync.schedule_picture(66'667, kSecond);
    CHECK(s.show_at_us == kSecond);
    CHECK(s.target_us == kSecond);
}
