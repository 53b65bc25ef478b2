// UvTimer: a libuv timer calling a function (guarded: an exception ends the call cleanly).
// Event-loop thread only, once the loop runs.
#pragma once

#include <cstdint>
#include <functional>

#include "daemon/loop/uv_handle.hpp"

namespace meshcall {

class UvTimer : public UvHandle<UvTimer, uv_timer_t> {
  public:
    // `name` labels failures in the log ("stats timer").
    static UvTimer* create(uv_loop_t* loop, const char* name, std::function<void()> on_fire);
    // First after `timeout_ms`, then every `repeat_ms` (0: once).
    void start(uint64_t timeout_ms, uint64_t repeat_ms);
    void stop();

  private:
    friend class UvHandle<UvTimer, uv_timer_t>;
    UvTimer(const char* name, std::function<void()> on_fire);
    ~UvTimer() = default;
    const char* name_;
    std::function<void()> on_fire_;
};

}  // namespace meshcall
