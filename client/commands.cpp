// commands: CLI side of the control protocol.
#include "client/commands.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "client/control_client.hpp"
#include "protocol/control_path.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

namespace {

// The socket to talk to, or "" after printing why there is none.
std::string find_call(const CallTarget& t) {
    if (!t.control.empty()) return t.control;
    if (!t.room.empty()) return control_path_for_room(t.room);
    auto calls = running_calls();
    if (calls.size() == 1) return calls.front();
    if (calls.empty())
        std::fprintf(stderr,
                     "meshcall: no call is running (start one with: meshcall join ROOM.json)\n");
    else
        std::fprintf(
            stderr,
            "meshcall: %zu calls are running; choose one with --room NAME (see: meshcall list)\n",
            calls.size());
    return {};
}

// Sends the request; prints errors. Returns the reply or nullopt with `rc` set.
std::optional<nlohmann::json> ask(const CallTarget& t, const ControlRequest& req, int& rc) {
    const std::string path = find_call(t);
    if (path.empty()) {
        rc = kExitNoCall;
        return std::nullopt;
    }
    std::string error;
    auto reply = control_request(path, req, error);
    if (!reply) {
        std::fprintf(stderr, "meshcall: %s\n", error.c_str());
        rc = kExitNoCall;
        return std::nullopt;
    }
    if (!reply->value("ok", false)) {
        std::fprintf(stderr, "meshcall: the call refused: %s\n",
                     reply->value("error", std::string("no reason given")).c_str());
        rc = kExitFailure;
        return std::nullopt;
    }
    rc = kExitOk;
    return reply;
}

std::string number(const nlohmann::json& v, const char* fmt) {
    if (!v.is_number()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v.get<double>());
    return buf;
}

}  // namespace

int run_status(const CallTarget& t, bool json) {
    int rc = 0;
    auto reply = ask(t, StatusRequest{}, rc);
    if (!reply) return rc;
    if (json) {
        std::printf("%s\n", reply->dump(2).c_str());
        return 0;
    }
    const auto& self = (*reply)["self"];
    std::printf("room %s, you are %s (%s%s), sending %s kbit/s\n",
                reply->value("room", std::string("?")).c_str(),
                self.value("name", std::string("?")).c_str(),
                self.value("audio_muted", false) ? "mic muted" : "mic on",
                self.value("video_muted", false) ? ", video off" : "",
                number(self["tx_kbps"], "%.0f").c_str());
    if (self.value("upload_saturated", false))
        std::printf(
            "your upload is slower than the call: %s video frames skipped so far, %s ms "
            "waiting to go\n",
            number(self["tx_frames_dropped"], "%.0f").c_str(),
            number(self["send_queue_ms"], "%.0f").c_str());
    std::printf("%-16s %-10s %6s %9s %7s %9s %s\n", "PEER", "STATE", "FPS", "KBIT/S", "LOSS%",
                "LATENCY", "MUTED");
    for (const auto& p : (*reply)["peers"]) {
        std::string muted;
        if (p.value("audio_muted", false)) muted += "audio ";
        if (p.value("video_muted", false)) muted += "video";
        std::printf(
            "%-16s %-10s %6s %9s %7s %9s %s\n", p.value("name", std::string("?")).c_str(),
            p.value("state", std::string("?")).c_str(), number(p["video_fps"], "%.1f").c_str(),
            number(p["rx_kbps"], "%.0f").c_str(), number(p["loss_pct"], "%.1f").c_str(),
            p["latency_ms"].is_number() ? (number(p["latency_ms"], "%.0f") + " ms").c_str() : "-",
            muted.empty() ? "-" : muted.c_str());
    }
    return 0;
}

int run_mute(const CallTarget& t, const std::string& what, bool mute) {
    MuteRequest m;
    m.mute = mute;
    if (what == "audio")
        m.what = MuteTarget::audio;
    else if (what == "video")
        m.what = MuteTarget::video;
    else
        m.what = MuteTarget::all;
    int rc = 0;
    auto reply = ask(t, m, rc);
    if (!reply) return rc;
    std::printf("microphone %s, video %s\n", reply->value("audio_muted", false) ? "muted" : "on",
                reply->value("video_muted", false) ? "off" : "on");
    return 0;
}

int run_leave(const CallTarget& t) {
    int rc = 0;
    auto reply = ask(t, LeaveRequest{}, rc);
    if (!reply) return rc;
    std::printf("left the call\n");
    return 0;
}

int run_focus(const CallTarget& t, const std::string& peer) {
    int rc = 0;
    auto reply = ask(t, FocusRequest{peer}, rc);
    if (!reply) return rc;
    if (peer.empty())
        std::printf("showing the grid\n");
    else
        std::printf("showing %s alone\n", peer.c_str());
    return 0;
}

int run_record(const CallTarget& t, const std::string& dir, bool stop) {
    RecordRequest r;
    r.stop = stop;
    if (!stop) {
        std::string where = dir;
        if (where.empty()) {
            char stamp[32];
            const std::time_t now = std::time(nullptr);
            std::tm tm{};
            localtime_r(&now, &tm);
            std::strftime(stamp, sizeof stamp, "meshcall-%Y%m%d-%H%M%S", &tm);
            where = stamp;
        }
        // The daemon runs elsewhere: it needs the whole path.
        std::error_code ec;
        const auto abs = std::filesystem::absolute(where, ec);
        r.dir = ec ? where : abs.lexically_normal().string();
    }
    int rc = 0;
    auto reply = ask(t, r, rc);
    if (!reply) return rc;
    const nlohmann::json& s = stop ? (*reply)["stopped"] : (*reply)["recording"];
    if (stop && !s.is_object()) {
        std::printf("no recording was running\n");
        return 0;
    }
    std::string files;
    for (const auto& f : s.value("files", nlohmann::json::array()))
        files += (files.empty() ? "" : ", ") + f.get<std::string>();
    if (stop)
        std::printf("stopped recording %s: %s (%.1f MB)\n",
                    s.value("dir", std::string("?")).c_str(), files.c_str(),
                    s.value("bytes", 0.0) / 1e6);
    else
        std::printf("recording into %s (each peer's stream as NAME.ts, the mix as mix.wav)\n",
                    s.value("dir", std::string("?")).c_str());
    return 0;
}

int run_list() {
    auto calls = running_calls();
    if (calls.empty()) {
        std::printf("no call is running\n");
        return 0;
    }
    for (const auto& path : calls) {
        std::string error;
        auto reply = control_request(path, StatusRequest{}, error, 1000);
        if (!reply || !reply->value("ok", false)) {
            std::printf("%s  (not answering)\n", path.c_str());
            continue;
        }
        int connected = 0, total = 0;
        for (const auto& p : (*reply)["peers"]) {
            ++total;
            connected += p.value("state", std::string()) == "connected";
        }
        std::printf("%-20s as %-16s %d/%d peers connected  %s\n",
                    reply->value("room", std::string("?")).c_str(),
                    (*reply)["self"].value("name", std::string("?")).c_str(), connected, total,
                    path.c_str());
    }
    return 0;
}

}  // namespace meshcall
