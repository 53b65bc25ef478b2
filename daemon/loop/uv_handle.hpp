// UvHandle<Self, H>: one libuv handle owned by one heap object (as mediasoup's handle classes
// do): made by the subclass's create(), closed by close(), and deleted in libuv's close
// callback, never before (docs.libuv.org, "Handle": memory must outlive uv_close). Event-loop
// thread only, once the loop runs; created on the session's thread before the loop starts.
#pragma once

#include <uv.h>

#include <stdexcept>
#include <string>

namespace meshcall {

template <typename Self, typename H>
class UvHandle {
  public:
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;

    // Idempotent. The object is deleted once libuv has closed the handle.
    void close() {
        if (uv_is_closing(handle())) return;
        uv_close(handle(), [](uv_handle_t* h) { delete static_cast<Self*>(h->data); });
    }
    bool active() const { return uv_is_active(handle()) != 0; }

  protected:
    UvHandle() = default;
    ~UvHandle() = default;
    uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&h_); }
    const uv_handle_t* handle() const { return reinterpret_cast<const uv_handle_t*>(&h_); }
    // Throws with the libuv error's words: for set-up, where exceptions are the rule.
    static void check(int rc, const char* what) {
        if (rc != 0) throw std::runtime_error(std::string(what) + ": " + uv_strerror(rc));
    }

    H h_{};
};

}  // namespace meshcall
