// CallArgs on the command line: the shared options and their round trip to meshcalld.
#include "config/call_args.hpp"

#include <cstdio>

namespace meshcall {

void add_call_options(CLI::App& app, CallArgs& args) {
    app.add_option("--as", args.as,
                   "Which peer of the room file you are (default: the profile's name)");
    app.add_option("--video", args.video,
                   "camera[:/dev/videoN] | screen[:DISPLAY] | test | file:PATH (any video file, "
                   "looped) | none (default: camera, or a test pattern when there is none)");
    app.add_option("--audio", args.audio,
                   "mic[:DEVICE] | tone | file:PATH (any sound or video file, looped) | none "
                   "(default: mic, or none when there is none)");
    app.add_flag("--headless", args.headless, "Open no window and no sound device");
    app.add_option("--control", args.control,
                   "Control socket path (default: $XDG_RUNTIME_DIR/meshcall/ROOM.sock)");
    app.add_option("--profile", args.profile_path,
                   "Profile file (default: $XDG_CONFIG_HOME/meshcall/profile.json)");
    app.add_option("--key", args.key_path,
                   "Your private key, for a \"keys\" room (default: "
                   "$XDG_CONFIG_HOME/meshcall/private_key, written by `meshcall keygen`)");
    app.add_option("--snapshot", args.snapshot,
                   "Write the grid as a PNG to this path, every --snapshot-every seconds");
    app.add_option("--snapshot-every", args.snapshot_every,
                   "Snapshot period in seconds (default 1)");
    app.add_option("--record-mix", args.record_mix,
                   "Also write the mixed sound of the call to this WAV file (48 kHz mono)");
    app.add_option("--record", args.record,
                   "Record the call into this directory: each peer's stream as it came (NAME.ts) "
                   "and the mix (mix.wav); `meshcall record` starts and stops it later");
    app.add_option("--speaker", args.speaker,
                   "Play the call on this PulseAudio sink, even when --headless (see: meshcall "
                   "devices; default: the default sound device)");
    app.add_option("--audio-processing", args.audio_processing,
                   "on | off: echo cancellation, noise suppression and gain control of the sound "
                   "sent (default: on for a microphone, off for test sources)");
    app.add_flag("-v,--verbose", args.verbosity, "More log output (-v info, -vv debug)");
}

std::vector<std::string> call_argv(const CallArgs& args) {
    std::vector<std::string> argv = {"--room", args.room_path};
    auto option = [&](const char* name, const std::string& value) {
        if (!value.empty()) argv.insert(argv.end(), {name, value});
    };
    option("--as", args.as);
    option("--video", args.video);
    option("--audio", args.audio);
    option("--control", args.control);
    option("--profile", args.profile_path);
    option("--key", args.key_path);
    option("--snapshot", args.snapshot);
    option("--record-mix", args.record_mix);
    option("--record", args.record);
    option("--speaker", args.speaker);
    option("--audio-processing", args.audio_processing);
    if (args.snapshot_every != CallArgs{}.snapshot_every) {
        char every[32];
        std::snprintf(every, sizeof every, "%.17g", args.snapshot_every);
        option("--snapshot-every", every);
    }
    if (args.headless) argv.push_back("--headless");
    for (int i = 0; i < args.verbosity; ++i) argv.push_back("-v");
    return argv;
}

}  // namespace meshcall
