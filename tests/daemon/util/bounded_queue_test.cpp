// Tests daemon/bounded_queue: drop-oldest hand-off, drop counting, replace_all, close and timeouts.
#include "daemon/util/bounded_queue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"

using meshcall::BoundedQueue;
using namespace std::chrono_literals;

namespace {
using Pop = BoundedQueue<int>::Pop;
}

TEST_CASE("queue: items come out in the order they went in") {
    BoundedQueue<int> q(4);
    CHECK(q.push(1));
    CHECK(q.push(2));
    CHECK(q.push(3));
    int v = 0;
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 1);
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 2);
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 3);
    CHECK(q.dropped() == 0);
    CHECK(!q.closed());
}

TEST_CASE("queue: a full queue drops the oldest item and counts it") {
    BoundedQueue<int> q(3);
    CHECK(q.push(1));
    CHECK(q.push(2));
    CHECK(q.push(3));
    CHECK(!q.push(4));
    CHECK(!q.push(5));
    CHECK(q.dropped() == 2);
    int v = 0;
    for (int expected : {3, 4, 5}) {
        REQUIRE(q.pop(v, 0ms) == Pop::item);
        CHECK(v == expected);
    }
    CHECK(q.pop(v, 0ms) == Pop::timeout);
    // Room again: nothing more is dropped.
    CHECK(q.push(6));
    CHECK(q.dropped() == 2);
}

TEST_CASE("queue: a queue of capacity one keeps only the newest item") {
    BoundedQueue<int> q(1);
    CHECK(q.push(10));
    CHECK(!q.push(11));
    CHECK(!q.push(12));
    CHECK(q.dropped() == 2);
    int v = 0;
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 12);
}

TEST_CASE("queue: pop on an empty queue times out and leaves the output alone") {
    BoundedQueue<int> q(2);
    int v = 77;
    const auto start = std::chrono::steady_clock::now();
    CHECK(q.pop(v, 30ms) == Pop::timeout);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(v == 77);
    CHECK(elapsed >= 25ms);
    CHECK(elapsed < 5s);
    CHECK(q.pop(v, 0ms) == Pop::timeout);
}

TEST_CASE("queue: replace_all drops everything queued (counted) and queues one item") {
    BoundedQueue<int> q(4);
    q.push(1);
    q.push(2);
    q.push(3);
    q.replace_all(9);
    CHECK(q.dropped() == 3);
    int v = 0;
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 9);
    CHECK(q.pop(v, 0ms) == Pop::timeout);
    // On an empty queue nothing is dropped.
    q.replace_all(10);
    CHECK(q.dropped() == 3);
    REQUIRE(q.pop(v, 0ms) == Pop::item);
    CHECK(v == 10);
}

TEST_CASE("queue: close discards queued items, refuses pushes and is idempotent") {
    BoundedQueue<int> q(4);
    q.push(1);
    q.push(2);
    q.close();
    CHECK(q.closed());
    int v = 0;
    CHECK(q.pop(v, 0ms) == Pop::closed);
    CHECK(q.pop(v, 1s) == Pop::closed);  // at once, not after the timeout
    CHECK(!q.push(3));
    q.replace_all(4);
    CHECK(q.pop(v, 0ms) == Pop::closed);
    q.close();
    CHECK(q.closed());
    CHECK(q.dropped() == 0);  // closing is not dropping
}

TEST_CASE("queue: close wakes a pop blocked in another thread") {
    BoundedQueue<int> q(4);
    std::atomic<bool> started{false};
    std::atomic<int> result{-1};
    const auto start = std::chrono::steady_clock::now();
    std::thread consumer([&] {
        started = true;
        int v = 0;
        result = static_cast<int>(q.pop(v, 30s));
    });
    REQUIRE(meshcall::test::wait_until([&] { return started.load(); }, 5s));
    std::this_thread::sleep_for(50ms);  // let it block in pop (the result is the same if not)
    q.close();
    consumer.join();
    CHECK(result == static_cast<int>(Pop::closed));
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("queue: push wakes a pop blocked in another thread") {
    BoundedQueue<int> q(4);
    std::atomic<bool> started{false};
    std::atomic<int> result{-1};
    std::atomic<int> value{0};
    std::thread consumer([&] {
        started = true;
        int v = 0;
        result = static_cast<int>(q.pop(v, 30s));
        value = v;
    });
    REQUIRE(meshcall::test::wait_until([&] { return started.load(); }, 5s));
    std::this_thread::sleep_for(50ms);
    q.push(42);
    consumer.join();
    CHECK(result == static_cast<int>(Pop::item));
    CHECK(value == 42);
}

TEST_CASE("queue: move-only items pass through") {
    BoundedQueue<std::unique_ptr<int>> q(2);
    q.push(std::make_unique<int>(1));
    q.push(std::make_unique<int>(2));
    q.push(std::make_unique<int>(3));  // drops 1
    std::unique_ptr<int> out;
    REQUIRE(q.pop(out, 0ms) == BoundedQueue<std::unique_ptr<int>>::Pop::item);
    REQUIRE(out);
    CHECK(*out == 2);
    q.replace_all(std::make_unique<int>(4));
    REQUIRE(q.pop(out, 0ms) == BoundedQueue<std::unique_ptr<int>>::Pop::item);
    CHECK(*out == 4);
    CHECK(q.dropped() == 2);
}

TEST_CASE("queue: a fast producer and a slow consumer lose only counted items, in order") {
    constexpr int kItems = 20000;
    BoundedQueue<int> q(8);
    std::vector<int> received;  // read only after join
    std::atomic<std::size_t> count{0};
    std::thread consumer([&] {
        int v = 0;
        while (q.pop(v, 10s) == Pop::item) {
            received.push_back(v);
            ++count;
            if (count % 64 == 0) std::this_thread::yield();
        }
    });
    uint64_t refused = 0;
    for (int i = 0; i < kItems; ++i)
        if (!q.push(i)) ++refused;
    // Let the consumer drain what is left before closing (close discards queued items).
    const bool drained = meshcall::test::wait_until(
        [&] { return count + q.dropped() >= static_cast<std::size_t>(kItems); }, 10s);
    q.close();
    consumer.join();
    CHECK(drained);
    CHECK(q.dropped() == refused);
    CHECK(received.size() + q.dropped() == static_cast<std::size_t>(kItems));
    bool ordered = true;
    for (std::size_t i = 1; i < received.size(); ++i)
        ordered = ordered && received[i - 1] < received[i];
    CHECK(ordered);
    REQUIRE(!received.empty());
    CHECK(received.back() == kItems - 1);
}
