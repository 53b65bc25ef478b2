// profile_fuzz: libFuzzer target for the profile parser (config/profile.cpp, config/source.cpp).
//
// parse_profile must either return a valid Profile or throw ConfigError naming the file; any
// other exception, a crash or a sanitizer report is a bug. A source it accepts must print
// (to_string) as text that parses back to the same source.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/profile.hpp"

namespace {

const std::string kLabel = "profile.json";

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "profile_fuzz: %s %s\n", what, detail.c_str());
    std::abort();
}

void check_profile(const meshcall::Profile& p) {
    if (p.name && !meshcall::is_valid_name(*p.name)) fail("accepted name", *p.name);
    std::string error;
    if (p.video) {
        const std::string text = p.video->to_string();
        auto again = meshcall::parse_video_source(text, error);
        if (!again || again->kind != p.video->kind || again->device != p.video->device)
            fail("video source does not round-trip", text);
    }
    if (p.audio) {
        const std::string text = p.audio->to_string();
        auto again = meshcall::parse_audio_source(text, error);
        if (!again || again->kind != p.audio->kind || again->device != p.audio->device)
            fail("audio source does not round-trip", text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        check_profile(meshcall::parse_profile(text, kLabel));
    } catch (const meshcall::ConfigError& e) {
        if (std::string(e.what()).rfind(kLabel + ": ", 0) != 0)
            fail("error without the file", e.what());
    }
    return 0;
}
