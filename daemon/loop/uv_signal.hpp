// UvSignal: a libuv signal watcher (SIGINT, SIGTERM) calling a function, guarded.
// Event-loop thread only, once the loop runs.
#pragma once

#include <functional>

#include "daemon/loop/uv_handle.hpp"

namespace meshcall {

class UvSignal : public UvHandle<UvSignal, uv_signal_t> {
  public:
    // Watches `signum` from now on; throws if libuv cannot.
    static UvSignal* create(uv_loop_t* loop, int signum, std::function<void(int)> on_signal);

  private:
    friend class UvHandle<UvSignal, uv_signal_t>;
    explicit UvSignal(std::function<void(int)> on_signal);
    ~UvSignal() = default;
    std::function<void(int)> on_signal_;
};

}  // namespace meshcall
