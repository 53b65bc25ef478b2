// Source: what a participant sends, parsed from "camera:/dev/video0", "tone", "file:PATH", "none",
// ...
#pragma once

#include <optional>
#include <string>

namespace meshcall {

struct VideoSource {
    enum class Kind { camera, screen, test, none, file };
    Kind kind = Kind::camera;
    std::string device;      // "/dev/video0", ":0.0", a file's path; empty means the default
    bool explicit_ = false;  // named by the user (a failure is an error, not a fallback)

    std::string to_string() const;
};

struct AudioSource {
    enum class Kind { mic, tone, none, file };
    Kind kind = Kind::mic;
    std::string device;  // PulseAudio source or ALSA device, a file's path; empty: the default
    bool explicit_ = false;

    std::string to_string() const;
};

// Parse a --video / --audio value. Returns nullopt and sets `error` when it is not one.
std::optional<VideoSource> parse_video_source(const std::string& text, std::string& error);
std::optional<AudioSource> parse_audio_source(const std::string& text, std::string& error);

}  // namespace meshcall
