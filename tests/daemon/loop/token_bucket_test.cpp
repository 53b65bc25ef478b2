// TokenBucket: rate and burst on an injected clock.
#include <doctest/doctest.h>

#include "daemon/loop/token_bucket.hpp"

using namespace meshcall;

TEST_CASE("token bucket: the burst passes, then only the rate") {
    TokenBucket b(1000, 500);  // 1000 per second, burst 500
    int passed = 0;
    for (int i = 0; i < 10; ++i) passed += b.take(100, 0);
    CHECK(passed == 5);
    CHECK_FALSE(b.take(100, 50'000));  // 50 ms later: 50 tokens
    CHECK(b.take(100, 100'000));       // 100 ms later: 100 tokens
    // A long pause refills only up to the burst.
    passed = 0;
    for (int i = 0; i < 10; ++i) passed += b.take(100, 10'000'000);
    CHECK(passed == 5);
}

TEST_CASE("token bucket: a steady flood gets the rate, not more") {
    TokenBucket b(10'000, 10'000);
    int passed = 0;
    for (int64_t t = 0; t < 10'000'000; t += 100)
        passed += b.take(200, t);  // 10 s at 2 MB/s offered
    // 10 s x 10 kB/s + the 10 kB burst = 110 kB = 550 datagrams of 200.
    CHECK(passed >= 545);
    CHECK(passed <= 551);
}
