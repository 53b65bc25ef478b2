// Tests daemon/receive/stale_backlog: the time bound on a peer's queue, on fixed clock values.
#include "daemon/receive/stale_backlog.hpp"

#include <doctest/doctest.h>

using namespace meshcall;
using V = StaleBacklog::Verdict;

TEST_CASE("stale backlog: fresh and unstamped datagrams are kept") {
    StaleBacklog b;
    const int64_t now = 50'000'000;
    CHECK(b.judge(now, now) == V::keep);
    CHECK(b.judge(now - 1000, now) == V::keep);
    CHECK(b.judge(now - StaleBacklog::kBoundUs, now) == V::keep);  // exactly the bound
    CHECK(b.judge(-1, now) == V::keep);                            // not stamped
    CHECK(b.drops() == 0);
    CHECK(b.episodes() == 0);
}

TEST_CASE("stale backlog: a backlog is one episode of drops") {
    StaleBacklog b;
    int64_t now = 50'000'000;
    CHECK(b.judge(now - StaleBacklog::kBoundUs - 1, now) == V::drop_new_episode);
    for (int i = 0; i < 9; ++i) CHECK(b.judge(now - 900'000 + i * 1000, now) == V::drop);
    CHECK(b.judge(now - 10'000, now) == V::keep);  // caught up
    CHECK(b.drops() == 10);
    CHECK(b.episodes() == 1);

    // Behind again a second later: the same episode (no quiet gap yet).
    now += 1'000'000;
    CHECK(b.judge(now - 400'000, now) == V::drop);
    CHECK(b.episodes() == 1);

    // After a quiet gap, a new one.
    now += StaleBacklog::kEpisodeGapUs + 1;
    CHECK(b.judge(now - 10'000, now) == V::keep);
    CHECK(b.judge(now - 500'000, now) == V::drop_new_episode);
    CHECK(b.drops() == 12);
    CHECK(b.episodes() == 2);
}
