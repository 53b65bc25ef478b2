// Profile: parsing and validation of the per-user profile.
#include "config/profile.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "config/error.hpp"
#include "config/json_reader.hpp"

namespace meshcall {

std::string config_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/') return std::string(xdg) + "/meshcall";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.config/meshcall";
}

std::string default_profile_path() {
    return config_dir() + "/profile.json";
}

Profile parse_profile(const std::string& text, const std::string& label) {
    const nlohmann::json doc = parse_json_text(text, label);
    JsonReader r(doc, label, "");
    Profile p;
    if (r.has("name")) {
        p.name = r.get_string("name");
        if (!is_valid_name(*p.name))
            r.fail("name", "\"" + *p.name + "\" is not a valid name; " + name_rule());
    }
    std::string error;
    if (r.has("video")) {
        p.video = parse_video_source(r.get_string("video"), error);
        if (!p.video) r.fail("video", error);
    }
    if (r.has("audio")) {
        p.audio = parse_audio_source(r.get_string("audio"), error);
        if (!p.audio) r.fail("audio", error);
    }
    p.stun = parse_stun_servers(r);
    r.finish();
    return p;
}

Profile load_profile(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {};
    return parse_profile(read_config_file(path, path), path);
}

}  // namespace meshcall
