// SpscRing<T>: a lock-free single-producer single-consumer ring of trivially copyable values,
// for hand-offs to and from the real-time audio thread (no lock, no allocation after
// construction, no system call).
//
// Threading: exactly one writer thread calls write(); exactly one reader thread calls read()
// and skip(); size() and capacity() may be called from either. The writer owns head_, the
// reader owns tail_; each publishes its index with a release store and reads the other's with
// an acquire load, so the values copied in happen-before the reader sees them, and the reader's
// copies out happen-before the writer reuses the slots. Debug builds assert that no two
// threads are ever inside write() (or read()/skip()) at once.
//
// Full ring: write() stores what fits and drops the rest of its input (the newest values); it
// never moves the reader's index. A caller that wants drop-oldest (SampleRing) has its reader
// skip ahead.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace meshcall {

template <typename T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>);

  public:
    explicit SpscRing(std::size_t capacity) : storage_(std::max<std::size_t>(capacity, 1)) {}
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    // Writer. Stores as many of `values` as fit (in order); returns how many.
    std::size_t write(std::span<const T> values) {
        [[maybe_unused]] const WriterGuard guard(*this);
        const uint64_t head = head_.load(std::memory_order_relaxed);
        const uint64_t tail = tail_.load(std::memory_order_acquire);
        const std::size_t free = storage_.size() - static_cast<std::size_t>(head - tail);
        const std::size_t n = std::min(values.size(), free);
        const std::size_t at = static_cast<std::size_t>(head % storage_.size());
        const std::size_t first = std::min(n, storage_.size() - at);
        std::copy_n(values.begin(), first, storage_.begin() + static_cast<std::ptrdiff_t>(at));
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(first), n - first,
                    storage_.begin());
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    // Reader. Moves up to out.size() of the oldest values into `out`; returns how many.
    std::size_t read(std::span<T> out) {
        [[maybe_unused]] const ReaderGuard guard(*this);
        const uint64_t tail = tail_.load(std::memory_order_relaxed);
        const uint64_t head = head_.load(std::memory_order_acquire);
        const std::size_t n = std::min(out.size(), static_cast<std::size_t>(head - tail));
        const std::size_t at = static_cast<std::size_t>(tail % storage_.size());
        const std::size_t first = std::min(n, storage_.size() - at);
        std::copy_n(storage_.begin() + static_cast<std::ptrdiff_t>(at), first, out.begin());
        std::copy_n(storage_.begin(), n - first, out.begin() + static_cast<std::ptrdiff_t>(first));
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Reader. Drops up to `count` of the oldest values; returns how many.
    std::size_t skip(std::size_t count) {
        [[maybe_unused]] const ReaderGuard guard(*this);
        const uint64_t tail = tail_.load(std::memory_order_relaxed);
        const uint64_t head = head_.load(std::memory_order_acquire);
        const std::size_t n = std::min(count, static_cast<std::size_t>(head - tail));
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Either thread: how many values are queued (exact on the reader's thread; on the writer's,
    // a value the reader may already have lowered).
    std::size_t size() const {
        // tail first: head only grows, so head read after tail is never behind it.
        const uint64_t tail = tail_.load(std::memory_order_acquire);
        const uint64_t head = head_.load(std::memory_order_acquire);
        return static_cast<std::size_t>(head - tail);
    }

    std::size_t capacity() const { return storage_.size(); }

  private:
#ifndef NDEBUG
    // Debug builds: a second thread inside the writer's (or the reader's) side is a bug.
    struct WriterGuard {
        explicit WriterGuard(SpscRing& r) : ring(r) {
            assert(!ring.in_write_.exchange(true) && "SpscRing: two writers");
        }
        ~WriterGuard() { ring.in_write_.store(false); }
        SpscRing& ring;
    };
    struct ReaderGuard {
        explicit ReaderGuard(SpscRing& r) : ring(r) {
            assert(!ring.in_read_.exchange(true) && "SpscRing: two readers");
        }
        ~ReaderGuard() { ring.in_read_.store(false); }
        SpscRing& ring;
    };
    std::atomic<bool> in_write_{false}, in_read_{false};
#else
    struct WriterGuard {
        explicit WriterGuard(SpscRing&) {}
    };
    using ReaderGuard = WriterGuard;
#endif

    std::vector<T> storage_;
    // Monotonic counts (64 bits never wrap in practice); the slot is the count modulo the size.
    // Apart, so the writer's and the reader's stores do not share a cache line.
    alignas(64) std::atomic<uint64_t> head_{0};  // written by the writer
    alignas(64) std::atomic<uint64_t> tail_{0};  // written by the reader
};

}  // namespace meshcall
