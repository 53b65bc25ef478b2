// PulseSpeaker: the mix played on a named PulseAudio sink (--speaker NAME), through a libpulse
// playback stream (48 kHz mono float) written by its own thread ("audio-pulse"). That thread is
// the one audio thread: each 10 ms it calls `pull` (the mixer; no lock, no I/O, no allocation)
// and hands the block to the stream, whose blocking write paces it at the sink's rate. The
// latency the server reports (what is buffered in the stream and the sink) is told to the
// PlayoutClock for lip sync, at start and every half second.
//
// Threading: construct and destroy on main; `pull` is called only on the "audio-pulse" thread.
// Errors: a sink that does not exist or a server that cannot be reached throws from the
// constructor (naming the sink); a stream that fails later is logged once and the call goes on
// without sound.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/util/playout_clock.hpp"

struct pa_simple;

namespace meshcall {

class PulseSpeaker {
  public:
    static constexpr int kRate = 48000;
    static constexpr std::size_t kBlock = kRate / 100;  // 10 ms
    using Pull = std::function<void(float* out, std::size_t n)>;

    // Main. Connects a playback stream to sink `sink` and starts the thread. Throws
    // std::runtime_error naming the sink when it cannot.
    PulseSpeaker(const std::string& sink, Pull pull, PlayoutClock* playout);
    // Main. Stops the thread (within one block) and closes the stream.
    ~PulseSpeaker();
    PulseSpeaker(const PulseSpeaker&) = delete;
    PulseSpeaker& operator=(const PulseSpeaker&) = delete;

    const std::string& sink() const { return sink_; }
    // The latency last reported (µs), any thread.
    int64_t latency_us() const { return latency_us_.load(std::memory_order_relaxed); }

  private:
    struct Free {
        void operator()(pa_simple* s) const;
    };
    void run();              // the audio thread
    void update_latency();   // audio thread

    const std::string sink_;
    Pull pull_;
    PlayoutClock* playout_;
    std::unique_ptr<pa_simple, Free> stream_;
    std::atomic<int64_t> latency_us_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace meshcall
