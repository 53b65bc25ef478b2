// Source: parsing of --video and --audio values.
#include "config/source.hpp"

namespace meshcall {

namespace {
void split(const std::string& text, std::string& kind, std::string& device) {
    auto colon = text.find(':');
    kind = text.substr(0, colon);
    device = colon == std::string::npos ? "" : text.substr(colon + 1);
}
}  // namespace

std::string VideoSource::to_string() const {
    const char* names[] = {"camera", "screen", "test", "none", "file"};
    std::string s = names[static_cast<int>(kind)];
    return device.empty() ? s : s + ":" + device;
}

std::string AudioSource::to_string() const {
    const char* names[] = {"mic", "tone", "none", "file"};
    std::string s = names[static_cast<int>(kind)];
    return device.empty() ? s : s + ":" + device;
}

std::optional<VideoSource> parse_video_source(const std::string& text, std::string& error) {
    std::string kind, device;
    split(text, kind, device);
    VideoSource s;
    s.device = device;
    s.explicit_ = true;
    if (kind == "camera") {
        s.kind = VideoSource::Kind::camera;
    } else if (kind == "screen") {
        s.kind = VideoSource::Kind::screen;
    } else if ((kind == "test" || kind == "none") && device.empty()) {
        s.kind = kind == "test" ? VideoSource::Kind::test : VideoSource::Kind::none;
    } else if (kind == "file" && !device.empty()) {
        s.kind = VideoSource::Kind::file;  // any file libav reads, looped
    } else {
        error = "\"" + text +
                "\" is not a video source (camera[:/dev/videoN], screen[:DISPLAY], test, "
                "file:PATH, none)";
        return std::nullopt;
    }
    return s;
}

std::optional<AudioSource> parse_audio_source(const std::string& text, std::string& error) {
    std::string kind, device;
    split(text, kind, device);
    AudioSource s;
    s.device = device;
    s.explicit_ = true;
    if (kind == "mic") {
        s.kind = AudioSource::Kind::mic;
    } else if ((kind == "tone" || kind == "none") && device.empty()) {
        s.kind = kind == "tone" ? AudioSource::Kind::tone : AudioSource::Kind::none;
    } else if (kind == "file" && !device.empty()) {
        s.kind = AudioSource::Kind::file;
    } else {
        error = "\"" + text + "\" is not an audio source (mic[:DEVICE], tone, file:PATH, none)";
        return std::nullopt;
    }
    return s;
}

}  // namespace meshcall
