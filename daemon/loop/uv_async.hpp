// UvAsync: the loop's mailbox doorbell. Any thread may wake() it while it is open; close() is
// the loop thread's, and the owner must make sure no wake() comes after it (the object is
// deleted once closed). libuv coalesces wake-ups: the callback drains everything queued.
#pragma once

#include <functional>

#include "daemon/loop/uv_handle.hpp"

namespace meshcall {

class UvAsync : public UvHandle<UvAsync, uv_async_t> {
  public:
    static UvAsync* create(uv_loop_t* loop, const char* name, std::function<void()> on_wake);
    // Any thread, before close().
    void wake() { uv_async_send(&h_); }

  private:
    friend class UvHandle<UvAsync, uv_async_t>;
    UvAsync(const char* name, std::function<void()> on_wake);
    ~UvAsync() = default;
    const char* name_;
    std::function<void()> on_wake_;
};

}  // namespace meshcall
