// ThreadChecker: the check behind a header's "one thread" contract. In debug builds, check()
// asserts that every call since the last bind() came from the same thread; in release builds
// it costs nothing. Not itself thread-safe beyond that: bind() from the owning thread.
#pragma once

#include <cassert>
#include <thread>

namespace meshcall {

class ThreadChecker {
  public:
    // The next check() names the owning thread (a new owner, e.g. a thread that starts a pass).
    void bind() {
#ifndef NDEBUG
        owner_ = std::thread::id();
#endif
    }
    void check() {
#ifndef NDEBUG
        if (owner_ == std::thread::id()) owner_ = std::this_thread::get_id();
        assert(owner_ == std::this_thread::get_id() && "called from a thread that does not own it");
#endif
    }

  private:
#ifndef NDEBUG
    std::thread::id owner_;
#endif
};

}  // namespace meshcall
