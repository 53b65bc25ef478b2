// PulseSpeaker: the mix on a PulseAudio sink.
#include "daemon/audio/pulse_speaker.hpp"

#include <pulse/error.h>
#include <pulse/simple.h>

#include <stdexcept>
#include <vector>

#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

namespace meshcall {

namespace {
constexpr int64_t kTargetLatencyUs = 40'000;  // what the stream asks the server to buffer
}  // namespace

void PulseSpeaker::Free::operator()(pa_simple* s) const {
    pa_simple_free(s);
}

PulseSpeaker::PulseSpeaker(const std::string& sink, Pull pull, PlayoutClock* playout)
    : sink_(sink), pull_(std::move(pull)), playout_(playout) {
    const pa_sample_spec spec{PA_SAMPLE_FLOAT32NE, kRate, 1};
    pa_buffer_attr attr{};
    attr.maxlength = static_cast<uint32_t>(-1);
    attr.tlength = static_cast<uint32_t>(kRate * kTargetLatencyUs / 1'000'000 * sizeof(float));
    attr.prebuf = static_cast<uint32_t>(-1);
    attr.minreq = static_cast<uint32_t>(kBlock * sizeof(float));
    attr.fragsize = static_cast<uint32_t>(-1);
    int error = 0;
    stream_.reset(pa_simple_new(nullptr, "meshcall", PA_STREAM_PLAYBACK, sink.c_str(), "call",
                                &spec, nullptr, &attr, &error));
    if (!stream_) {
        if (error == PA_ERR_NOENTITY)
            throw std::runtime_error("speaker \"" + sink +
                                     "\": no such PulseAudio sink (`meshcall devices` lists them)");
        throw std::runtime_error("speaker \"" + sink + "\": cannot play on it: " +
                                 pa_strerror(error));
    }
    latency_us_ = kTargetLatencyUs;
    if (playout_) playout_->set_output_latency_us(kTargetLatencyUs);
    spdlog::info("playing the call on PulseAudio sink \"{}\"", sink_);
    thread_ = std::thread([this] { run_thread("audio-pulse", [this] { run(); }); });
}

PulseSpeaker::~PulseSpeaker() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void PulseSpeaker::update_latency() {
    int error = 0;
    const pa_usec_t us = pa_simple_get_latency(stream_.get(), &error);
    if (us == static_cast<pa_usec_t>(-1)) return;
    // What was just written is heard after what the stream and the sink hold before it.
    const auto latency = static_cast<int64_t>(us) + int64_t{kBlock} * 1'000'000 / kRate;
    latency_us_.store(latency, std::memory_order_relaxed);
    if (playout_) playout_->set_output_latency_us(latency);
}

void PulseSpeaker::run() {
    std::vector<float> block(kBlock);  // allocated once, before the loop
    int blocks = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
        pull_(block.data(), block.size());
        int error = 0;
        if (pa_simple_write(stream_.get(), block.data(), block.size() * sizeof(float), &error) <
            0) {
            spdlog::error("speaker \"{}\": {}; the call goes on without sound", sink_,
                          pa_strerror(error));
            if (playout_) playout_->clear();
            return;
        }
        if (++blocks % 50 == 1) update_latency();
    }
}

}  // namespace meshcall
