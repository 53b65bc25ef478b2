// ThreadCheck: the threading contracts written in headers ("event-loop thread only"), checked.
// A ThreadCheck is bound to one thread; MESHCALL_ASSERT_THREAD(check) aborts when called from
// another. Checked in debug builds and in the sanitizer builds (MESHCALL_CHECK_THREADS, set by
// CMake's MESHCALL_SANITIZE); compiled out of release builds.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace meshcall {

class ThreadCheck {
  public:
    // Binds to the calling thread (again: a new owner, e.g. when a thread hands over).
    void bind() { owner_.store(std::this_thread::get_id(), std::memory_order_relaxed); }
    // True on the bound thread, or when nothing is bound yet.
    bool ok() const {
        const auto owner = owner_.load(std::memory_order_relaxed);
        return owner == std::thread::id() || owner == std::this_thread::get_id();
    }

  private:
    std::atomic<std::thread::id> owner_{};
};

}  // namespace meshcall

#if !defined(NDEBUG) || defined(MESHCALL_CHECK_THREADS)
#define MESHCALL_ASSERT_THREAD(check)                                                            \
    do {                                                                                         \
        if (!(check).ok()) {                                                                     \
            std::fprintf(stderr, "%s:%d: %s called from the wrong thread\n", __FILE__, __LINE__, \
                         __func__);                                                              \
            std::abort();                                                                        \
        }                                                                                        \
    } while (0)
#else
#define MESHCALL_ASSERT_THREAD(check) \
    do {                              \
    } while (0)
#endif
