// CallConfig: resolving command line, profile and room file into one immutable value.
#include "config/call_config.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/error.hpp"
#include "config/json_reader.hpp"
#include "config/private_key.hpp"
#include "config/profile.hpp"

namespace meshcall {

namespace {

// In a "keys" room: the private key at --key (or the default path), which must be the one whose
// public key the room lists for me.
std::optional<Key32> load_my_key(const CallConfig& c, const CallArgs& args) {
    if (c.room.security != Security::keys) return std::nullopt;
    const std::string path = args.key_path.empty() ? default_key_path() : args.key_path;
    const Key32 sk = load_private_key(path);
    const Key32 pk = public_key_of(sk);
    const PeerEntry& me = c.me();
    if (me.public_key && pk == *me.public_key) return sk;
    throw ConfigError(c.room_label + ": the private key " + path + " does not belong to peers[" +
                      std::to_string(c.self) + "] (\"" + me.name + "\"): its public key is " +
                      key_to_base64(pk) + ", the room lists " +
                      (me.public_key ? key_to_base64(*me.public_key) : std::string("none")));
}

// A file source: its path made absolute (meshcalld may run elsewhere), and readable now.
void resolve_file_source(std::string& path, const char* option) {
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(path, ec);
    if (!ec) path = abs.lexically_normal().string();
    if (access(path.c_str(), R_OK) != 0)
        throw ConfigError(std::string(option) + ": file:" + path + ": " + std::strerror(errno));
}

}  // namespace

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
    c.private_key = load_my_key(c, args);
    c.stun = c.room.stun.empty() ? profile.stun : c.room.stun;

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
    if (c.video.kind == VideoSource::Kind::file) resolve_file_source(c.video.device, "--video");
    if (c.audio.kind == AudioSource::Kind::file) resolve_file_source(c.audio.device, "--audio");
    c.control_path = args.control;
    c.snapshot_path = args.snapshot;
    if (!(args.snapshot_every >= 0.1 && args.snapshot_every <= 3600))
        throw ConfigError("--snapshot-every: " + std::to_string(args.snapshot_every) +
                          " is not a period in seconds (0.1-3600)");
    c.snapshot_every = args.snapshot_every;
    c.record_mix_path = args.record_mix;
    if (!args.record.empty()) {
        std::error_code ec;
        const std::filesystem::path dir = std::filesystem::absolute(args.record, ec);
        c.record_dir = ec ? args.record : dir.lexically_normal().string();
    }
    c.speaker = args.speaker;
    if (args.audio_processing.empty())
        c.audio_processing = c.audio.kind == AudioSource::Kind::mic;
    else if (args.audio_processing == "on" || args.audio_processing == "off")
        c.audio_processing = args.audio_processing == "on";
    else
        throw ConfigError("--audio-processing: \"" + args.audio_processing +
                          "\" is neither on nor off");
    c.headless = args.headless;
    c.verbosity = args.verbosity;
    return c;
}

}  // namespace meshcall
