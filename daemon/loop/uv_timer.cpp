// UvTimer: uv_timer_t with a guarded callback.
#include "daemon/loop/uv_timer.hpp"

#include "daemon/loop/loop_failure.hpp"

namespace meshcall {

UvTimer::UvTimer(const char* name, std::function<void()> on_fire)
    : name_(name), on_fire_(std::move(on_fire)) {
    h_.data = this;
}

UvTimer* UvTimer::create(uv_loop_t* loop, const char* name, std::function<void()> on_fire) {
    auto* t = new UvTimer(name, std::move(on_fire));
    const int rc = uv_timer_init(loop, &t->h_);
    if (rc != 0) delete t;  // never initialised: nothing for libuv to close
    check(rc, name);
    return t;
}

void UvTimer::start(uint64_t timeout_ms, uint64_t repeat_ms) {
    check(uv_timer_start(
              &h_,
              [](uv_timer_t* h) {
                  auto* self = static_cast<UvTimer*>(h->data);
                  guarded(h->loop, self->name_, [self] { self->on_fire_(); });
              },
              timeout_ms, repeat_ms),
          name_);
}

void UvTimer::stop() {
    uv_timer_stop(&h_);  // always 0
}

}  // namespace meshcall
