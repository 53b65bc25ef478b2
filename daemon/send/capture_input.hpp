// CaptureInput: one libavdevice input (camera, screen, ALSA microphone or a lavfi test graph), or
// a PulseAudio microphone (PulseCapture), and the thread that reads it, decodes it and converts
// it for the encoder. The thread is the only user of the input's AVFormatContext, decoders,
// PulseCapture and AudioProcessor; frames leave through the CaptureQueue.
//
// A PulseAudio microphone that goes away mid-call is logged once and reopened every second
// until it is back (lost() meanwhile); the call goes on. Sound may be cleaned up (echo
// cancellation against the FarEnd, noise suppression, gain) in 10 ms blocks before it is cut
// into the encoder's frames: set_audio_processing(), on main before start().
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/room.hpp"
#include "daemon/audio/audio_processor.hpp"
#include "daemon/send/captured_frame.hpp"
#include "daemon/send/pulse_capture.hpp"
#include "daemon/util/av_ptr.hpp"
#include "daemon/util/far_end.hpp"
#include "daemon/util/playout_clock.hpp"
#include "daemon/util/resampler.hpp"

namespace meshcall {

struct InputSpec {
    std::string label;   // "camera /dev/video0", for messages
    // libavdevice input format: "v4l2", "x11grab", "alsa", "lavfi"; or "pulse": a PulseAudio
    // source named by `url` (PulseCapture, not libavdevice; `options` unused)
    std::string format;
    std::string url;
    std::vector<std::pair<std::string, std::string>> options;
};

class CaptureInput {
  public:
    // Opens the input and its decoders on the calling thread. Returns nullptr with `error`
    // set (naming the device) when it cannot be opened.
    static std::unique_ptr<CaptureInput> open(const InputSpec& spec, const VideoSettings& video,
                                              std::string& error);
    ~CaptureInput();

    bool has_video() const { return video_stream_ >= 0; }
    bool has_audio() const { return audio_stream_ >= 0; }
    const std::string& label() const { return spec_.label; }
    // A PulseAudio microphone whose source went away (being reopened every second). Any thread.
    bool lost() const { return lost_.load(std::memory_order_relaxed); }
    bool is_microphone() const { return spec_.format == "pulse" || spec_.format == "alsa"; }

    // Main, before start(): each 10 ms of sound goes through `processor`, fed first what the
    // speaker played meanwhile (`far_end`, may be null); the delay hint is `playout`'s output
    // latency plus the microphone's own.
    void set_audio_processing(std::unique_ptr<AudioProcessor> processor, FarEnd* far_end,
                              const PlayoutClock* playout);
    // Any thread (stats() is); null when the sound is not processed.
    const AudioProcessor* audio_processor() const { return processor_.get(); }

    // Starts the capture thread; frames go to `out` until stop().
    void start(CaptureQueue& out);
    // Stops and joins the thread (within one frame period for live devices).
    void stop();

  private:
    CaptureInput() = default;
    void run(CaptureQueue& out);
    void handle_video(AVFrame* frame, CaptureQueue& out);
    void handle_audio(AVFrame* frame, CaptureQueue& out);
    void run_pulse(CaptureQueue& out);
    // Mono 48 kHz sound: cleaned up (if processing) and cut into the encoder's frames.
    void queue_audio(const float* mono, int n, CaptureQueue& out);
    int delay_hint_ms();  // capture thread
    static int interrupt(void* self);

    InputSpec spec_;
    VideoSettings video_;
    InputContextPtr format_;
    CodecContextPtr video_decoder_, audio_decoder_;
    int video_stream_ = -1, audio_stream_ = -1;
    SwsContextPtr sws_;
    Resampler resampler_{1, kAudioRate};  // to mono float; follows a format change
    std::vector<float> mono_;
    AudioFifoPtr fifo_;
    int64_t audio_wall_us_ = 0, audio_mono_us_ = 0;  // capture time of the FIFO's first sample
    std::unique_ptr<PulseCapture> pulse_;             // a PulseAudio microphone; null while lost
    std::atomic<bool> lost_{false};
    std::unique_ptr<AudioProcessor> processor_;
    FarEnd* far_end_ = nullptr;
    const PlayoutClock* playout_ = nullptr;
    std::vector<float> near_;       // sound waiting for a whole 10 ms block (processing)
    std::vector<float> far_block_;  // one far-end block
    std::vector<float> pulse_read_;
    double delay_avg_ms_ = -1;  // the delay hint, averaged (capture thread)
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace meshcall
