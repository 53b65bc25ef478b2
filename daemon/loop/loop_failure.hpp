// LoopFailure: what a libuv callback does with an exception. Every callback body runs inside
// guarded(): an exception is logged once and handed to the loop's failure handler (the session
// leaves the call cleanly: peers see "left", systemd sees STOPPING=1, exit status 1) instead of
// unwinding into libuv's C frames, which would be std::terminate. Event-loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace meshcall {

// Installed in loop->data by the session before the loop runs; `where` names the callback.
using LoopFailureHandler = std::function<void(const std::string& where, const std::string& what)>;

// Hands a failure to the loop's handler (or logs it when there is none).
void report_loop_failure(uv_loop_t* loop, const char* where, const char* what) noexcept;

template <typename F>
void guarded(uv_loop_t* loop, const char* where, F&& body) noexcept {
    try {
        body();
    } catch (const std::exception& e) {
        report_loop_failure(loop, where, e.what());
    } catch (...) {
        report_loop_failure(loop, where, "an unknown exception");
    }
}

}  // namespace meshcall
