// CallConfig: resolving command line, profile and room file into one immutable value.
#include "config/call_config.hpp"

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/profile.hpp"

namespace meshcall {

CallConfig resolve_call_config(const CallArgs& args) {
    CallConfig c;
    const Profile profile =
        load_profile(args.profile_path.empty() ? default_profile_path() : args.profile_path);
    c.room_label = file_label(args.room_path);
    c.room = load_room(args.room_path);
    std::string as = args.as;
    if (as.empty() && profile.name) as = *profile.name;
    if (as.empty())
        throw ConfigError(c.room_label + ": which peer are you? Give --as NAME (or \"name\" in " +
                          default_profile_path() + ")");
    c.self = find_participant(c.room, as, c.room_label);

    std::string error;
    if (!args.video.empty()) {
        auto v = parse_video_source(args.video, error);
        if (!v) throw ConfigError("--video: " + error);
        c.video = *v;
    } else if (profile.video) {
        c.video = *profile.video;
    } else {
        c.video = VideoSource{};  // camera, falling back to the test pattern
    }
    if (!args.audio.empty()) {
        auto a = parse_audio_source(args.audio, error);
        if (!a) throw ConfigError("--audio: " + error);
        c.audio = *a;
    } else if (profile.audio) {
        c.audio = *profile.audio;
    } else {
        c.audio = AudioSource{};  // microphone, falling back to none
    }
    c.control_path = args.control;
    c.snapshot_path = args.snapshot;
    if (!(args.snapshot_every >= 0.1 && args.snapshot_every <= 3600))
        throw ConfigError("--snapshot-every: " + std::to_string(args.snapshot_every) +
                          " is not a period in seconds (0.1-3600)");
    c.snapshot_every = args.snapshot_every;
    c.record_mix_path = args.record_mix;
    c.headless = args.headless;
    c.verbosity = args.verbosity;
    return c;
}

}  // namespace meshcall
