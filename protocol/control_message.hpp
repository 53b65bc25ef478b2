// Control-socket messages: one JSON object per line in each direction (README, "The control socket
// and the CLI").
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace meshcall {

inline constexpr std::size_t kMaxControlLine = 64 * 1024;

enum class MuteTarget { audio, video, all };

struct StatusRequest {
    bool histogram = false;  // also each peer's latency histogram (1 ms buckets, since start)
};
struct MuteRequest {
    MuteTarget what = MuteTarget::all;
    bool mute = true;  // false: unmute
};
struct LeaveRequest {};
struct SnapshotRequest {
    std::string path;
};

// Show one sender's tile alone, the whole window (its largest video layer is asked for, the
// others' smallest); no peer: back to the grid.
struct FocusRequest {
    std::string peer;  // empty: the grid
};

// Start recording the call into `dir` (an absolute path; created if need be), or stop.
struct RecordRequest {
    std::string dir;  // when !stop
    bool stop = false;
};

using ControlRequest = std::variant<StatusRequest, MuteRequest, LeaveRequest, SnapshotRequest,
                                    FocusRequest, RecordRequest>;

struct ParsedRequest {
    bool ok = false;
    ControlRequest request;
    std::string error;  // when !ok: what is wrong, for the error reply
};

// Parses one request line (without its '\n'). Never throws.
ParsedRequest parse_control_request(std::string_view line);

// Serialises a request as one line with its trailing '\n' (used by the meshcall CLI).
std::string format_control_request(const ControlRequest& request);

// {"ok":false,"error":"..."} with its trailing '\n'.
std::string error_reply(const std::string& error);
// The object with "ok":true added, then '\n'.
std::string ok_reply(nlohmann::json fields = nlohmann::json::object());

const char* to_string(MuteTarget what);

}  // namespace meshcall
