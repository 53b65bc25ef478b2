// CallOptions: shared call options and the call runner.
#include "daemon/call_options.hpp"

#include <malloc.h>

#include <csignal>
#include <cstdio>

#include "config/error.hpp"
#include "daemon/call_session.hpp"
#include "daemon/control_server.hpp"
#include "daemon/log.hpp"

namespace meshcall {

void add_call_options(CLI::App& app, CallArgs& args) {
    app.add_option("--as", args.as,
                   "Which peer of the room file you are (default: the profile's name)");
    app.add_option("--video", args.video,
                   "camera[:/dev/videoN] | screen[:DISPLAY] | test | none (default: camera, or a "
                   "test pattern when there is none)");
    app.add_option("--audio", args.audio,
                   "mic[:DEVICE] | tone | none (default: mic, or none when there is none)");
    app.add_flag("--headless", args.headless, "Open no window and no sound device");
    app.add_option("--control", args.control,
                   "Control socket path (default: $XDG_RUNTIME_DIR/meshcall/ROOM.sock)");
    app.add_option("--profile", args.profile_path,
                   "Profile file (default: $XDG_CONFIG_HOME/meshcall/profile.json)");
    app.add_option("--snapshot", args.snapshot,
                   "Write the grid as a PNG to this path, every --snapshot-every seconds");
    app.add_option("--snapshot-every", args.snapshot_every,
                   "Snapshot period in seconds (default 1)");
    app.add_option("--record-mix", args.record_mix,
                   "Also write the mixed sound of the call to this WAV file (48 kHz mono)");
    app.add_flag("-v,--verbose", args.verbosity, "More log output (-v info, -vv debug)");
}

int run_call(const CallArgs& args) {
    CallConfig config;
    try {
        config = resolve_call_config(args);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    }
    init_logging(config.verbosity);
    // A control client that goes away mid-reply must not kill the call.
    std::signal(SIGPIPE, SIG_IGN);
    // glibc would hand the heap back to the kernel after every frame and fault it in again
    // (FFMPEG-NOTES.md: this doubled x264's CPU). Keep it.
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
    try {
        CallSession session(config);
        return session.run();
    } catch (const ControlServer::AlreadyRunning& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitFailure;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitFailure;
    }
}

}  // namespace meshcall
