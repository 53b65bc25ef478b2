// PulseCapture: a PulseAudio source that is never moved behind our back.
#include "daemon/send/pulse_capture.hpp"

#include <pulse/error.h>
#include <pulse/pulseaudio.h>

#include <cstring>
#include <thread>

namespace meshcall {

namespace {

void signal_loop(void* loop) {
    pa_threaded_mainloop_signal(static_cast<pa_threaded_mainloop*>(loop), 0);
}

void on_context(pa_context*, void* loop) {
    signal_loop(loop);
}
void on_stream(pa_stream*, void* loop) {
    signal_loop(loop);
}

// RAII for the main loop's lock.
struct Locked {
    explicit Locked(pa_threaded_mainloop* l) : loop(l) { pa_threaded_mainloop_lock(loop); }
    ~Locked() { pa_threaded_mainloop_unlock(loop); }
    pa_threaded_mainloop* loop;
};

}  // namespace

std::unique_ptr<PulseCapture> PulseCapture::open(const std::string& source, std::string& error) {
    const std::string label = "microphone \"" + (source.empty() ? "default" : source) + "\"";
    std::unique_ptr<PulseCapture> c(new PulseCapture());
    c->loop_ = pa_threaded_mainloop_new();
    if (!c->loop_) {
        error = label + ": cannot start PulseAudio's main loop";
        return nullptr;
    }
    c->context_ = pa_context_new(pa_threaded_mainloop_get_api(c->loop_), "meshcall");
    if (!c->context_) {
        error = label + ": cannot create a PulseAudio context";
        return nullptr;
    }
    pa_context_set_state_callback(c->context_, on_context, c->loop_);
    if (pa_context_connect(c->context_, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) < 0) {
        error = label + ": no PulseAudio server: " + pa_strerror(pa_context_errno(c->context_));
        return nullptr;
    }
    if (pa_threaded_mainloop_start(c->loop_) < 0) {
        error = label + ": cannot start PulseAudio's main loop";
        return nullptr;
    }
    Locked lock(c->loop_);
    for (;;) {
        const pa_context_state_t s = pa_context_get_state(c->context_);
        if (s == PA_CONTEXT_READY) break;
        if (!PA_CONTEXT_IS_GOOD(s)) {
            error = label + ": no PulseAudio server: " + pa_strerror(pa_context_errno(c->context_));
            return nullptr;
        }
        pa_threaded_mainloop_wait(c->loop_);
    }
    const pa_sample_spec spec{PA_SAMPLE_FLOAT32NE, 48000, 1};
    c->stream_ = pa_stream_new(c->context_, "microphone", &spec, nullptr);
    if (!c->stream_) {
        error = label + ": " + pa_strerror(pa_context_errno(c->context_));
        return nullptr;
    }
    pa_stream_set_state_callback(c->stream_, on_stream, c->loop_);
    pa_stream_set_read_callback(
        c->stream_, [](pa_stream*, size_t, void* loop) { signal_loop(loop); }, c->loop_);
    pa_buffer_attr attr{};
    attr.maxlength = static_cast<uint32_t>(-1);
    attr.fragsize = 480 * sizeof(float);  // 10 ms
    attr.tlength = attr.prebuf = attr.minreq = static_cast<uint32_t>(-1);
    const char* dev = source.empty() || source == "default" ? nullptr : source.c_str();
    if (pa_stream_connect_record(c->stream_, dev, &attr,
                                 static_cast<pa_stream_flags_t>(
                                     PA_STREAM_DONT_MOVE | PA_STREAM_ADJUST_LATENCY |
                                     PA_STREAM_INTERPOLATE_TIMING |
                                     PA_STREAM_AUTO_TIMING_UPDATE)) < 0) {
        error = label + ": " + pa_strerror(pa_context_errno(c->context_));
        return nullptr;
    }
    for (;;) {
        const pa_stream_state_t s = pa_stream_get_state(c->stream_);
        if (s == PA_STREAM_READY) break;
        if (!PA_STREAM_IS_GOOD(s)) {
            const int e = pa_context_errno(c->context_);
            error = label + (e == PA_ERR_NOENTITY
                                 ? std::string(": no such PulseAudio source (`meshcall devices` "
                                               "lists them)")
                                 : ": " + std::string(pa_strerror(e)));
            return nullptr;
        }
        pa_threaded_mainloop_wait(c->loop_);
    }
    return c;
}

PulseCapture::~PulseCapture() {
    if (loop_) pa_threaded_mainloop_stop(loop_);
    if (stream_) {
        pa_stream_disconnect(stream_);
        pa_stream_unref(stream_);
    }
    if (context_) {
        pa_context_disconnect(context_);
        pa_context_unref(context_);
    }
    if (loop_) pa_threaded_mainloop_free(loop_);
}

bool PulseCapture::good() const {
    return pa_context_get_state(context_) == PA_CONTEXT_READY &&
           pa_stream_get_state(stream_) == PA_STREAM_READY;
}

PulseCapture::Read PulseCapture::read(std::vector<float>& out, std::chrono::milliseconds wait,
                                      std::string& error) {
    out.clear();
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        {
            Locked lock(loop_);
            if (!good()) {
                error = pa_context_get_state(context_) != PA_CONTEXT_READY
                            ? std::string("the PulseAudio server went away: ") +
                                  pa_strerror(pa_context_errno(context_))
                            : std::string("its source went away");
                return Read::lost;
            }
            while (pa_stream_readable_size(stream_) > 0) {
                const void* data = nullptr;
                size_t bytes = 0;
                if (pa_stream_peek(stream_, &data, &bytes) < 0) break;
                if (bytes == 0) break;
                const std::size_t n = bytes / sizeof(float);
                if (data) {
                    const auto* f = static_cast<const float*>(data);
                    out.insert(out.end(), f, f + n);
                } else {
                    out.insert(out.end(), n, 0.f);  // a hole: silence
                }
                pa_stream_drop(stream_);
            }
            if (!out.empty()) {
                pa_usec_t us = 0;
                int negative = 0;
                if (pa_stream_get_latency(stream_, &us, &negative) == 0)
                    latency_us_ = negative ? 0 : static_cast<int64_t>(us);
                return Read::data;
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) return Read::none;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace meshcall
