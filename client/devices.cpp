// devices: listing sound devices (libpulse, one round trip) and cameras.
#include "client/devices.hpp"

#include <glob.h>
#include <pulse/pulseaudio.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/exit_codes.hpp"

namespace meshcall {

namespace {

struct Device {
    std::string name, description;
};

struct SoundDevices {
    std::string server;  // the server's name and version
    std::string error;   // why there is no list
    std::vector<Device> microphones, speakers;
};

// Asks the PulseAudio server (as $PULSE_SERVER or the default says) for its sources and sinks,
// within `timeout`.
SoundDevices list_sound(std::chrono::milliseconds timeout) {
    SoundDevices out;
    pa_mainloop* loop = pa_mainloop_new();
    pa_context* ctx = pa_context_new(pa_mainloop_get_api(loop), "meshcall devices");
    int pending = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto iterate_until = [&](auto done) {
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            if (pa_mainloop_prepare(loop, 50'000) < 0 || pa_mainloop_poll(loop) < 0 ||
                pa_mainloop_dispatch(loop) < 0)
                return false;
        }
        return true;
    };
    if (pa_context_connect(ctx, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) < 0) {
        out.error = pa_strerror(pa_context_errno(ctx));
    } else if (!iterate_until([&] {
                   const auto s = pa_context_get_state(ctx);
                   return s == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(s);
               }) ||
               pa_context_get_state(ctx) != PA_CONTEXT_READY) {
        const int e = pa_context_errno(ctx);
        out.error = e != PA_OK ? pa_strerror(e) : "no answer";
    } else {
        out.server = std::string(pa_context_get_server(ctx) ? pa_context_get_server(ctx) : "");
        struct Lists {
            SoundDevices* out;
            int* pending;
        } lists{&out, &pending};
        pending = 2;
        pa_operation* sources = pa_context_get_source_info_list(
            ctx,
            [](pa_context*, const pa_source_info* i, int eol, void* d) {
                auto* l = static_cast<Lists*>(d);
                if (eol) {
                    --*l->pending;
                    return;
                }
                if (i->monitor_of_sink == PA_INVALID_INDEX)
                    l->out->microphones.push_back(
                        {i->name, i->description ? i->description : ""});
            },
            &lists);
        pa_operation* sinks = pa_context_get_sink_info_list(
            ctx,
            [](pa_context*, const pa_sink_info* i, int eol, void* d) {
                auto* l = static_cast<Lists*>(d);
                if (eol) {
                    --*l->pending;
                    return;
                }
                l->out->speakers.push_back({i->name, i->description ? i->description : ""});
            },
            &lists);
        if (!iterate_until([&] { return pending == 0; }))
            out.error = "the sound server did not answer in time";
        if (sources) pa_operation_unref(sources);
        if (sinks) pa_operation_unref(sinks);
    }
    pa_context_disconnect(ctx);
    pa_context_unref(ctx);
    pa_mainloop_free(loop);
    return out;
}

std::vector<std::string> cameras() {
    std::vector<std::string> paths;
    glob_t g{};
    if (glob("/dev/video*", 0, nullptr, &g) == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    return paths;
}

void print_table(const char* title, const std::vector<Device>& devices) {
    std::printf("%s\n", title);
    if (devices.empty()) std::printf("  (none)\n");
    for (const auto& d : devices)
        std::printf("  %-40s %s\n", d.name.c_str(), d.description.c_str());
}

}  // namespace

int run_devices(bool json) {
    const SoundDevices sound = list_sound(std::chrono::seconds(3));
    const std::vector<std::string> cams = cameras();
    if (!sound.error.empty())
        std::fprintf(stderr,
                     "meshcall: no sound server is reachable (PulseAudio or PipeWire's "
                     "pipewire-pulse: %s); microphones and speakers cannot be listed\n",
                     sound.error.c_str());
    if (json) {
        auto list = [](const std::vector<Device>& ds) {
            nlohmann::json a = nlohmann::json::array();
            for (const auto& d : ds) a.push_back({{"name", d.name}, {"description", d.description}});
            return a;
        };
        nlohmann::json j = {
            {"sound_server", sound.error.empty() ? nlohmann::json(sound.server) : nullptr},
            {"sound_error", sound.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(sound.error)},
            {"microphones", list(sound.microphones)},
            {"speakers", list(sound.speakers)},
            {"cameras", cams}};
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        if (sound.error.empty()) {
            print_table("Microphones (--audio mic:NAME):", sound.microphones);
            print_table("Speakers (--speaker NAME):", sound.speakers);
        }
        std::printf("Cameras (--video camera:PATH):\n");
        if (cams.empty()) std::printf("  (none)\n");
        for (const auto& c : cams) std::printf("  %s\n", c.c_str());
    }
    return sound.error.empty() ? kExitOk : kExitFailure;
}

}  // namespace meshcall
