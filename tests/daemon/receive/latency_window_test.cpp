// Tests daemon/receive/latency_window: nearest-rank percentiles on fixed numbers, the window's
// bound.
#include "daemon/receive/latency_window.hpp"

#include <doctest/doctest.h>

using namespace meshcall;

TEST_CASE("latency window: nothing to say while empty") {
    LatencyWindow w;
    CHECK_FALSE(w.percentiles().has_value());
}

TEST_CASE("latency window: one value is every percentile") {
    LatencyWindow w;
    w.add(42'000);
    const auto p = w.percentiles();
    REQUIRE(p.has_value());
    CHECK(p->p50 == 42'000);
    CHECK(p->p95 == 42'000);
    CHECK(p->p99 == 42'000);
}

TEST_CASE("latency window: percentiles of 1..100 added in reverse") {
    LatencyWindow w;
    for (int64_t v = 100; v >= 1; --v) w.add(v);
    const auto p = w.percentiles();
    REQUIRE(p.has_value());
    CHECK(p->p50 == 51);  // sorted[100 / 2]
    CHECK(p->p95 == 96);  // sorted[95]
    CHECK(p->p99 == 100);
}

TEST_CASE("latency window: holds the last 300 values only") {
    LatencyWindow w;
    for (int64_t v = 0; v < 400; ++v) w.add(v);  // 0..99 forgotten: 100..399 remain
    CHECK(w.size() == LatencyWindow::kCapacity);
    const auto p = w.percentiles();
    REQUIRE(p.has_value());
    CHECK(p->p50 == 250);  // sorted[150]
    CHECK(p->p95 == 385);  // sorted[285]
    CHECK(p->p99 == 397);  // sorted[297]
}

TEST_CASE("latency window: a few late pictures show in p95 and p99, not p50") {
    LatencyWindow w;
    for (int i = 0; i < 90; ++i) w.add(40'000);
    for (int i = 0; i < 10; ++i) w.add(250'000);
    const auto p = w.percentiles();
    REQUIRE(p.has_value());
    CHECK(p->p50 == 40'000);
    CHECK(p->p95 == 250'000);
    CHECK(p->p99 == 250'000);
}
