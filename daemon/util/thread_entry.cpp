// ThreadEntry: named threads whose exceptions end the call cleanly.
#include "daemon/util/thread_entry.hpp"

#include "daemon/util/log.hpp"

namespace meshcall {

namespace {
// Written once on main before any thread starts (std::thread's start is the happens-before).
ThreadFailureHandler& failure_handler() {
    static ThreadFailureHandler handler;
    return handler;
}
}  // namespace

void set_thread_failure_handler(ThreadFailureHandler handler) {
    failure_handler() = std::move(handler);
}

void run_thread(const std::string& role, const std::function<void()>& body) noexcept {
    std::string what;
    try {
        set_thread_role(role);
        body();
        return;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "an unknown exception";
    }
    try {
        spdlog::error("{} thread failed: {}", role, what);
        if (failure_handler()) failure_handler()(role, what);
    } catch (...) {
        // Nothing more can be done from here.
    }
}

}  // namespace meshcall
