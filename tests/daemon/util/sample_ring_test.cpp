// Tests daemon/util/spsc_ring and sample_ring: the lock-free hand-off under a real concurrent
// writer and reader (sequence numbers: in order, none duplicated, every one read or counted as
// dropped), and the full-ring policy (the reader gets the newest `capacity`; a full storage
// refuses the newest).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "daemon/util/sample_ring.hpp"
#include "daemon/util/spsc_ring.hpp"

using namespace meshcall;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(20);

// Block sizes that vary from call to call, the same on every run.
struct Sizes {
    uint32_t state;
    std::size_t next(std::size_t max) {
        state = state * 1664525u + 1013904223u;
        return 1 + (state >> 8) % max;
    }
};

std::vector<float> sequence(float from, std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = from + float(i);
    return v;
}

}  // namespace

TEST_CASE("spsc ring: a concurrent writer and reader pass every value once, in order") {
    constexpr uint32_t kCount = 1'000'000;
    SpscRing<uint32_t> ring(1000);
    std::atomic<bool> writer_timed_out{false};
    std::thread writer([&] {
        Sizes sizes{1};
        std::vector<uint32_t> block;
        const auto deadline = Clock::now() + kDeadline;
        for (uint32_t next = 0; next < kCount;) {
            block.clear();
            const std::size_t n = std::min<std::size_t>(sizes.next(300), kCount - next);
            for (std::size_t i = 0; i < n; ++i) block.push_back(next + uint32_t(i));
            // Lossless use: offer the rest again until it fits.
            std::size_t done = 0;
            while (done < n) {
                done += ring.write(std::span<const uint32_t>(block).subspan(done));
                if (done < n) {
                    if (Clock::now() > deadline) {
                        writer_timed_out = true;
                        return;
                    }
                    std::this_thread::yield();
                }
            }
            next += uint32_t(n);
        }
    });
    Sizes sizes{2};
    std::vector<uint32_t> out(400);
    uint32_t expected = 0;
    bool in_order = true;
    const auto deadline = Clock::now() + kDeadline;
    while (expected < kCount && !writer_timed_out && Clock::now() < deadline) {
        const std::size_t got = ring.read(std::span(out).first(sizes.next(out.size())));
        CHECK(ring.size() <= ring.capacity());
        for (std::size_t i = 0; i < got; ++i) in_order = in_order && out[i] == expected++;
        if (got == 0) std::this_thread::yield();
    }
    writer.join();
    CHECK(!writer_timed_out);
    CHECK(in_order);
    CHECK(expected == kCount);
    CHECK(ring.size() == 0);
}

TEST_CASE("spsc ring: a full ring keeps what it holds and refuses the newest") {
    SpscRing<int> ring(4);
    const std::vector<int> in{1, 2, 3, 4, 5, 6};
    CHECK(ring.write(in) == 4);
    CHECK(ring.size() == 4);
    CHECK(ring.write(std::span(in).subspan(4)) == 0);
    std::vector<int> out(3);
    CHECK(ring.read(out) == 3);
    CHECK(out == std::vector<int>{1, 2, 3});
    CHECK(ring.write(std::span(in).subspan(4)) == 2);  // wraps round the end of the storage
    CHECK(ring.skip(1) == 1);                          // drops 4
    out.assign(3, 0);
    CHECK(ring.read(out) == 2);
    CHECK(out == std::vector<int>{5, 6, 0});
}

TEST_CASE("sample ring: a reader that fell behind gets the newest half second, the oldest go") {
    SampleRing ring(100);
    ring.write(sequence(0, 150));  // 150 > capacity, within the storage (2x)
    CHECK(ring.size() == 100);
    std::vector<float> out(1000);
    REQUIRE(ring.read(out) == 100);
    CHECK(out[0] == 50.f);
    CHECK(out[99] == 149.f);
    CHECK(ring.dropped() == 50);
    CHECK(ring.size() == 0);
}

TEST_CASE("sample ring: a reader gone for over twice the capacity: the newest are refused") {
    SampleRing ring(100);
    ring.write(sequence(0, 250));  // storage holds 0..199; 200..249 refused
    CHECK(ring.size() == 100);
    CHECK(ring.dropped() == 50);
    std::vector<float> out(1000);
    REQUIRE(ring.read(out) == 100);  // the newest 100 held
    CHECK(out[0] == 100.f);
    CHECK(out[99] == 199.f);
    CHECK(ring.dropped() == 150);
    // Once read again, new sound flows at once.
    ring.write(sequence(1000, 10));
    REQUIRE(ring.read(out) == 10);
    CHECK(out[0] == 1000.f);
}

TEST_CASE("sample ring: discard drops the oldest, after the excess") {
    SampleRing ring(100);
    ring.write(sequence(0, 120));
    CHECK(ring.discard(30) == 30);  // 20 over capacity go first, then 20..49
    std::vector<float> out(1000);
    REQUIRE(ring.read(out) == 70);
    CHECK(out[0] == 50.f);
    CHECK(ring.dropped() == 20);  // discard() is the reader's choice, not a loss
}

TEST_CASE(
    "sample ring: a concurrent writer and reader: in order, none duplicated, none unaccounted") {
    // The writer (the receiver's role) does not wait for room: when the storage is full it
    // loses the newest; the reader (the mixer's role) skips the oldest over the capacity.
    constexpr std::size_t kCount = 2'000'000;  // floats hold integers exactly up to 2^24
    SampleRing ring(kSampleRingCapacity / 100);
    std::atomic<bool> writer_done{false};
    std::thread writer([&] {
        Sizes sizes{3};
        std::vector<float> block;
        for (std::size_t next = 0; next < kCount;) {
            const std::size_t n = std::min<std::size_t>(sizes.next(480), kCount - next);
            block = sequence(float(next), n);
            ring.write(block);
            next += n;
            if (next % 7 == 0) std::this_thread::yield();
        }
        writer_done = true;
    });
    Sizes sizes{4};
    std::vector<float> out(960);
    float last = -1.f;
    std::size_t read = 0;
    bool increasing = true, bounded = true;
    const auto deadline = Clock::now() + kDeadline;
    for (;;) {
        const bool done = writer_done.load();  // before the read: after it, nothing more comes
        bounded = bounded && ring.size() <= ring.capacity();
        const std::size_t got = ring.read(std::span(out).first(sizes.next(out.size())));
        for (std::size_t i = 0; i < got; ++i) {
            increasing = increasing && out[i] > last;
            last = out[i];
        }
        read += got;
        if ((done && got == 0) || Clock::now() > deadline) break;
        if (got == 0) std::this_thread::yield();
    }
    writer.join();
    CHECK(increasing);
    CHECK(bounded);
    CHECK(read > 0);
    CHECK(read + ring.dropped() == kCount);
    CHECK(ring.size() == 0);
}
