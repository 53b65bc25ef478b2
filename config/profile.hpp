// Profile: the optional per-user file $XDG_CONFIG_HOME/meshcall/profile.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/source.hpp"
#include "config/stun_servers.hpp"

namespace meshcall {

struct Profile {
    std::optional<std::string> name;   // default for --as
    std::optional<VideoSource> video;  // default for --video
    std::optional<AudioSource> audio;  // default for --audio
    std::vector<StunServer> stun;      // used when the room file lists none
};

// $XDG_CONFIG_HOME/meshcall (or ~/.config/meshcall).
std::string config_dir();

// Loads the profile at `path`; a missing file is an empty profile. Throws ConfigError.
Profile load_profile(const std::string& path);
Profile parse_profile(const std::string& text, const std::string& label);

// The default profile path: config_dir() + "/profile.json".
std::string default_profile_path();

}  // namespace meshcall
