// AudioProcessor: the microphone's clean-up before it is encoded — echo cancellation against
// exactly what the speaker plays (the far end), noise suppression, gain control, a high-pass
// filter — on 10 ms blocks of mono float sound at 48 kHz. An interface, so that another
// canceller (WebRTC's AEC3, speexdsp) can slot in; make_audio_processor() gives WebRTC's
// AudioProcessing module (webrtc-audio-processing 0.3, as PulseAudio's module-echo-cancel uses it).
//
// Threading: reverse() and process() are called by one thread (the microphone's capture thread),
// far-end blocks first, in the order they were played. stats() may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace meshcall {

struct AudioProcessingOptions {
    bool echo_cancellation = true;
    bool noise_suppression = true;
    bool gain_control = true;  // adaptive digital gain; the analogue/experimental AGC stays off
    bool high_pass = true;
};

// What the canceller reports, for status. Values are -1 until it has any (and stay -1 with echo
// cancellation off). WebRTC's figures are refreshed every 0.5 s of processed sound; the first
// come after 1-2 s of far-end speech, the delay after about 5 s.
struct AudioProcessorStats {
    double erle_db = -1;          // echo return loss enhancement, averaged (dB); -1: none yet
    double erle_instant_db = -1;  // the latest (about one second's) estimate
    // The echo's delay as the canceller's estimator sees it, beyond the stream delay it was
    // given (WebRTC: the median over the last second); -1: none yet.
    int delay_ms = -1;
    double poor_delays = -1;  // fraction of blocks whose delay estimate was poor (0..1)
    unsigned long long far_blocks = 0, near_blocks = 0;
};

class AudioProcessor {
  public:
    static constexpr int kRate = 48000;
    static constexpr std::size_t kBlock = kRate / 100;  // 10 ms

    virtual ~AudioProcessor() = default;
    // One far-end block (kBlock samples): what the speaker was given, in order.
    virtual void reverse(std::span<const float> far) = 0;
    // One near-end block (kBlock samples) of microphone sound, processed in place.
    // `delay_ms`: how much later an echo of a far block fed now reaches the microphone, as far as
    // the devices' reported latencies tell (a hint; the canceller estimates the rest). A jump of
    // more than 40 ms (another device) starts the canceller over.
    virtual void process(std::span<float> near, int delay_ms) = 0;
    virtual AudioProcessorStats stats() const = 0;
    virtual std::string name() const = 0;  // "webrtc", for status and logs
};

// WebRTC's AudioProcessing module with `options`. Throws std::runtime_error if it cannot be set
// up.
std::unique_ptr<AudioProcessor> make_audio_processor(const AudioProcessingOptions& options);

}  // namespace meshcall
