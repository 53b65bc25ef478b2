// CaptureSources: device selection and fallbacks.
#include "daemon/send/capture_sources.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "daemon/send/file_source.hpp"
#include "daemon/util/log.hpp"
#include "daemon/util/participant_style.hpp"

#ifndef MESHCALL_FONT
#define MESHCALL_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#endif

namespace meshcall {

std::string test_video_graph(const Room& room, int self) {
    const Rgb c = participant_colour(self);
    const VideoSettings& v = room.video;
    char colour[16];
    std::snprintf(colour, sizeof colour, "0x%02x%02x%02x", c.r, c.g, c.b);
    std::string g = "color=c=" + std::string(colour) + ":s=" + std::to_string(v.width) + "x" +
                    std::to_string(v.height) + ":r=" + std::to_string(v.fps);
    if (access(MESHCALL_FONT, R_OK) == 0) {
        // The name, and a frame counter so the picture moves.
        const std::string font =
            std::string("drawtext=fontfile=") + MESHCALL_FONT + ":fontcolor=white:x=(w-tw)/2";
        g += "," + font + ":text=" + room.peers[static_cast<std::size_t>(self)].name +
             ":fontsize=" + std::to_string(std::max(8, v.height / 10)) + ":y=h/10";
        g += "," + font + ":text=%{n}:fontsize=" + std::to_string(std::max(8, v.height / 20)) +
             ":y=h-th-h/10";
    }
    return g + ",format=yuv420p,realtime";
}

std::string test_audio_graph(int self) {
    return "sine=frequency=" + std::to_string(participant_tone_hz(self)) +
           ":sample_rate=48000:samples_per_frame=960,arealtime";
}

namespace {

std::unique_ptr<CaptureInput> try_open(const InputSpec& spec, const VideoSettings& video,
                                       std::string& error) {
    return CaptureInput::open(spec, video, error);
}

InputSpec lavfi(const std::string& label, const std::string& graph) {
    return {label, "lavfi", graph, {}};
}

}  // namespace

OpenedCapture open_capture(const VideoSource& video_in, const AudioSource& audio_in,
                           const Room& room, int self) {
    OpenedCapture out;
    out.video = video_in;
    out.audio = audio_in;
    const VideoSettings& v = room.video;
    std::string error;

    // Real devices first, so that their failure can fall back to test sources.
    if (out.video.kind == VideoSource::Kind::camera) {
        const std::string dev = out.video.device.empty() ? "/dev/video0" : out.video.device;
        InputSpec spec{"camera " + dev,
                       "v4l2",
                       dev,
                       {{"video_size", std::to_string(v.width) + "x" + std::to_string(v.height)},
                        {"framerate", std::to_string(v.fps)}}};
        std::unique_ptr<CaptureInput> in;
        if (access(dev.c_str(), F_OK) == 0)
            in = try_open(spec, v, error);
        else
            error = "camera " + dev + ": no such device";
        if (in) {
            out.inputs.push_back(std::move(in));
        } else if (out.video.explicit_) {
            throw std::runtime_error(error);
        } else {
            spdlog::warn("{}; sending a test pattern instead (choose with --video)", error);
            out.video = VideoSource{VideoSource::Kind::test, "", false};
        }
    } else if (out.video.kind == VideoSource::Kind::screen) {
        const char* env = std::getenv("DISPLAY");
        const std::string display = !out.video.device.empty() ? out.video.device : env ? env : "";
        if (display.empty())
            throw std::runtime_error(
                "screen: no display given and $DISPLAY is not set (use --video screen:DISPLAY)");
        InputSpec spec{"screen " + display,
                       "x11grab",
                       display,
                       {{"framerate", std::to_string(v.fps)}, {"draw_mouse", "1"}}};
        auto in = try_open(spec, v, error);
        if (!in) throw std::runtime_error(error);
        out.inputs.push_back(std::move(in));
    }
    if (out.audio.kind == AudioSource::Kind::mic) {
        const std::string dev = out.audio.device.empty() ? "default" : out.audio.device;
        // PulseAudio (PulseCapture: a source that goes away is waited for, not swapped), else
        // ALSA.
        std::unique_ptr<CaptureInput> in =
            try_open({"microphone \"" + dev + "\"", "pulse", dev, {}}, v, error);
        std::string pulse_error = error;
        if (!in)
            in = try_open({"microphone " + dev + " (ALSA)",
                           "alsa",
                           dev,
                           {{"sample_rate", "48000"}, {"channels", "1"}}},
                          v, error);
        if (in) {
            out.inputs.push_back(std::move(in));
        } else if (out.audio.explicit_) {
            throw std::runtime_error(pulse_error + "; " + error);
        } else {
            spdlog::warn("no microphone ({}); sending no sound (choose with --audio)", error);
            out.audio = AudioSource{AudioSource::Kind::none, "", false};
        }
    }

    // Files: checked before anything is opened from them (a ConfigError, exit 2), then each
    // read by its own looping graph (the same file for both: two readers, one per thread).
    if (out.video.kind == VideoSource::Kind::file) {
        check_file_stream(out.video.device, AVMEDIA_TYPE_VIDEO);
        auto in = try_open(lavfi("file " + out.video.device + " (video)",
                                 file_video_graph(out.video.device, v) + "[out0]"),
                           v, error);
        if (!in) throw std::runtime_error(error);
        out.inputs.push_back(std::move(in));
    }
    if (out.audio.kind == AudioSource::Kind::file) {
        check_file_stream(out.audio.device, AVMEDIA_TYPE_AUDIO);
        auto in = try_open(lavfi("file " + out.audio.device + " (audio)",
                                 file_audio_graph(out.audio.device) + "[out0]"),
                           v, error);
        if (!in) throw std::runtime_error(error);
        out.inputs.push_back(std::move(in));
    }

    const bool test_video = out.video.kind == VideoSource::Kind::test;
    const bool tone = out.audio.kind == AudioSource::Kind::tone;
    std::unique_ptr<CaptureInput> in;
    if (test_video && tone) {
        in = try_open(lavfi("test pattern and tone", test_video_graph(room, self) + "[out0];" +
                                                         test_audio_graph(self) + "[out1]"),
                      v, error);
    } else if (test_video) {
        in = try_open(lavfi("test pattern", test_video_graph(room, self) + "[out0]"), v, error);
    } else if (tone) {
        in = try_open(lavfi("test tone", test_audio_graph(self) + "[out0]"), v, error);
    }
    if ((test_video || tone) && !in) throw std::runtime_error(error);
    if (in) out.inputs.push_back(std::move(in));
    return out;
}

}  // namespace meshcall
