// LoopFailure: the failure handler behind guarded().
#include "daemon/loop/loop_failure.hpp"

#include "daemon/util/log.hpp"

namespace meshcall {

void report_loop_failure(uv_loop_t* loop, const char* where, const char* what) noexcept {
    try {
        spdlog::error("{}: {}", where, what);
        auto* handler = static_cast<LoopFailureHandler*>(loop->data);
        if (handler && *handler) (*handler)(where, what);
    } catch (...) {
        // Logging or the handler itself failed: nothing more can be done from here.
    }
}

}  // namespace meshcall
