// PulseCapture: a microphone read straight from a PulseAudio source (48 kHz mono float, 10 ms
// fragments), through libpulse's threaded main loop. Unlike libavdevice's "pulse" input, its
// stream may not be moved (PA_STREAM_DONT_MOVE): when the source goes away (unplugged, its
// module unloaded, the server gone) the stream ends and read() says `lost`, instead of the
// server quietly moving it to another source.
//
// Threading: open(), read(), latency_us() and the destructor on one thread (the microphone's
// capture thread); libpulse's own thread runs the callbacks, which only wake that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct pa_threaded_mainloop;
struct pa_context;
struct pa_stream;

namespace meshcall {

class PulseCapture {
  public:
    // Connects to the server and records `source` ("" or "default": the default source).
    // Returns nullptr with `error` set (naming the source) when it cannot.
    static std::unique_ptr<PulseCapture> open(const std::string& source, std::string& error);
    ~PulseCapture();
    PulseCapture(const PulseCapture&) = delete;
    PulseCapture& operator=(const PulseCapture&) = delete;

    enum class Read { data, none, lost };
    // Appends what the source recorded to `out` (clearing it first), waiting up to `wait` for
    // some. `lost` (with `error`): the stream or the server ended.
    Read read(std::vector<float>& out, std::chrono::milliseconds wait, std::string& error);
    // How long ago the newest sample read was captured (the source's and the stream's
    // buffering), as the server last reported it.
    int64_t latency_us() const { return latency_us_; }

  private:
    PulseCapture() = default;
    bool good() const;  // under the main loop's lock

    pa_threaded_mainloop* loop_ = nullptr;
    pa_context* context_ = nullptr;
    pa_stream* stream_ = nullptr;
    int64_t latency_us_ = 0;
};

}  // namespace meshcall
