// CaptureInput: one libavdevice input (camera, screen, microphone or a lavfi test graph) and the
// thread that reads it, decodes it and converts it for the encoder. The thread is the only user
// of the input's AVFormatContext and decoders; frames leave through the CaptureQueue.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/room.hpp"
#include "daemon/send/captured_frame.hpp"
#include "daemon/util/av_ptr.hpp"
#include "daemon/util/resampler.hpp"

namespace meshcall {

struct InputSpec {
    std::string label;   // "camera /dev/video0", for messages
    std::string format;  // libavdevice input format: "v4l2", "x11grab", "pulse", "alsa", "lavfi"
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

    // Starts the capture thread; frames go to `out` until stop().
    void start(CaptureQueue& out);
    // Stops and joins the thread (within one frame period for live devices).
    void stop();

  private:
    CaptureInput() = default;
    void run(CaptureQueue& out);
    void handle_video(AVFrame* frame, CaptureQueue& out);
    void handle_audio(AVFrame* frame, CaptureQueue& out);
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
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace meshcall
