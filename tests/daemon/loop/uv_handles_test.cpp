// Tests daemon/loop/uv_timer, uv_async, uv_signal and loop_failure: real libuv loops; each
// handle frees itself in its close callback (the loop closes with nothing left), and an
// exception in a callback reaches the loop's failure handler instead of terminating.
#include <doctest/doctest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>

#include "daemon/loop/loop_failure.hpp"
#include "daemon/loop/uv_async.hpp"
#include "daemon/loop/uv_signal.hpp"
#include "daemon/loop/uv_timer.hpp"

using namespace meshcall;

TEST_CASE("a timer fires, repeats, and frees itself when closed: the loop closes cleanly") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    int fired = 0;
    UvTimer* timer = nullptr;
    timer = UvTimer::create(&loop, "test timer", [&] {
        if (++fired == 3) timer->close();
    });
    timer->start(1, 1);
    CHECK(timer->active());
    uv_run(&loop, UV_RUN_DEFAULT);  // returns once the closed timer was freed
    CHECK(fired == 3);
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("an exception in a timer callback reaches the failure handler, once, with its words") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    int failures = 0;
    std::string where, what;
    UvTimer* timer = nullptr;
    LoopFailureHandler handler = [&](const std::string& w, const std::string& e) {
        ++failures;
        where = w;
        what = e;
        timer->close();  // what the session does: leave, closing its handles
    };
    loop.data = &handler;
    timer = UvTimer::create(&loop, "stats timer", [] { throw std::runtime_error("boom"); });
    timer->start(0, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(failures == 1);
    CHECK(where == "stats timer");
    CHECK(what == "boom");
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("another thread wakes the async handle, and every wake-up is seen, drained on the loop") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    std::atomic<int> posted{0};
    int seen = 0;
    UvAsync* async = nullptr;
    async = UvAsync::create(&loop, "test async", [&] {
        seen = posted.load();  // coalesced: read everything posted so far
        if (seen == 100) async->close();
    });
    std::thread poster([&] {
        for (int i = 0; i < 100; ++i) {
            posted.fetch_add(1);
            async->wake();
        }
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    poster.join();
    CHECK(seen == 100);
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a signal watcher calls back with the signal on the loop") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    int got = 0;
    UvSignal* watcher = nullptr;
    watcher = UvSignal::create(&loop, SIGUSR1, [&](int sig) {
        got = sig;
        watcher->close();
    });
    REQUIRE(raise(SIGUSR1) == 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(got == SIGUSR1);
    CHECK(uv_loop_close(&loop) == 0);
}
