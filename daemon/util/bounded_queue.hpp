// BoundedQueue<T>: a thread hand-off with a fixed capacity. push() never blocks: when full, the
// oldest item is dropped (and counted), so a slow consumer loses old media, never delays new
// media. pop() blocks up to a timeout. close() wakes the consumer for good.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

namespace meshcall {

template <typename T>
class BoundedQueue {
  public:
    enum class Pop { item, closed, timeout };

    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

    // Producer. Returns false if the oldest item was dropped to make room (or the queue is closed).
    bool push(T item) {
        bool kept_all = true;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return false;
            if (items_.size() >= capacity_) {
                items_.pop_front();
                ++dropped_;
                kept_all = false;
            }
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
        return kept_all;
    }

    // Producer: drops everything queued (counted) and queues `item` alone.
    void replace_all(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_) return;
            dropped_ += items_.size();
            items_.clear();
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }

    // Any thread. Idempotent.
    void close() {
        std::deque<T> gone;
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            gone.swap(items_);
        }
        ready_.notify_all();
    }

    // Consumer: Pop::item with `out` set, Pop::closed once closed, Pop::timeout otherwise.
    Pop pop(T& out, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, timeout, [this] { return closed_ || !items_.empty(); }))
            return Pop::timeout;
        if (closed_) return Pop::closed;
        out = std::move(items_.front());
        items_.pop_front();
        return Pop::item;
    }

    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
    std::size_t capacity_;
    uint64_t dropped_ = 0;
    bool closed_ = false;
};

}  // namespace meshcall
