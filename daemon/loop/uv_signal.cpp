// UvSignal: uv_signal_t with a guarded callback.
#include "daemon/loop/uv_signal.hpp"

#include "daemon/loop/loop_failure.hpp"

namespace meshcall {

UvSignal::UvSignal(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
    h_.data = this;
}

UvSignal* UvSignal::create(uv_loop_t* loop, int signum, std::function<void(int)> on_signal) {
    auto* s = new UvSignal(std::move(on_signal));
    int rc = uv_signal_init(loop, &s->h_);
    if (rc != 0) {
        delete s;
        check(rc, "signal watcher");
    }
    rc = uv_signal_start(
        &s->h_,
        [](uv_signal_t* h, int sig) {
            auto* self = static_cast<UvSignal*>(h->data);
            guarded(h->loop, "signal", [self, sig] { self->on_signal_(sig); });
        },
        signum);
    if (rc != 0) {
        s->close();
        check(rc, "signal watcher");
    }
    return s;
}

}  // namespace meshcall
