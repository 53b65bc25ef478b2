// UvAsync: uv_async_t with a guarded callback.
#include "daemon/loop/uv_async.hpp"

#include "daemon/loop/loop_failure.hpp"

namespace meshcall {

UvAsync::UvAsync(const char* name, std::function<void()> on_wake)
    : name_(name), on_wake_(std::move(on_wake)) {
    h_.data = this;
}

UvAsync* UvAsync::create(uv_loop_t* loop, const char* name, std::function<void()> on_wake) {
    auto* a = new UvAsync(name, std::move(on_wake));
    const int rc = uv_async_init(loop, &a->h_, [](uv_async_t* h) {
        auto* self = static_cast<UvAsync*>(h->data);
        guarded(h->loop, self->name_, [self] { self->on_wake_(); });
    });
    if (rc != 0) delete a;
    check(rc, name);
    return a;
}

}  // namespace meshcall
