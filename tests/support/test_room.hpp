// Test support: rooms on loopback with free ports, and meshcalld processes driven through
// their control sockets.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace meshcall::test {

struct TestPeer {
    std::string name;
    int port = 0;
    std::string role = {};  // "viewer", "sender", or empty: a participant
    // More of its entry ("plain", ...); a null value leaves that field out ({"host", null}).
    nlohmann::json fields = nlohmann::json::object();
};

// A fresh room secret (32 random bytes, base64), and the top-level fields of a "room" room.
std::string random_secret();
nlohmann::json sealed_room(const std::string& secret);

// A viewer entry whose `ports` ports (port + k, one per peer that sends to it) are all free
// and none of `others`' ports.
TestPeer free_viewer(const std::string& name, int ports, const std::vector<TestPeer>& others);

// A room file with `names` on 127.0.0.1 at free ports, written into `dir`.
// Small pictures keep a many-party call cheap on a 2-core machine.
struct TestRoom {
    std::string path;
    std::string name;
    std::vector<TestPeer> peers;
    int port_of(const std::string& peer) const;
};
// The room file `file` in `dir` with these peers (ports chosen by the caller); `extra` is
// merged into the top level ("security", "secret", ...).
TestRoom write_room(const TempDir& dir, const std::string& file, const std::string& room_name,
                    const std::vector<TestPeer>& peers, int width = 320, int height = 240,
                    int bitrate_kbps = 400, const nlohmann::json& extra = nlohmann::json::object());
TestRoom make_room(const TempDir& dir, const std::string& room_name,
                   const std::vector<std::string>& names, int width = 320, int height = 240,
                   int bitrate_kbps = 400);

// The URL a stock ffmpeg sender uses to send to `to` from `from`'s address (so it is that
// listed peer), in datagrams of seven TS packets.
std::string stock_sender_url(const TestRoom& room, const std::string& to, const std::string& from);

// A meshcalld process for one peer of a room, headless, test pattern and tone by default.
class Daemon {
  public:
    Daemon(const TempDir& dir, const TestRoom& room, const std::string& as,
           std::vector<std::string> extra_args = {});

    // Waits until the control socket answers `status` (false after `timeout`).
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // One status request; nullopt if the daemon does not answer.
    std::optional<nlohmann::json> status();
    // The status entry of peer `name`, or null json.
    nlohmann::json peer(const std::string& name);
    std::optional<nlohmann::json> request(const std::string& line);

    Process& process() { return *process_; }
    const std::string& control() const { return control_; }
    const std::string& log() const { return log_; }
    std::string log_text() const { return read_file(log_); }

  private:
    std::string control_, log_;
    std::unique_ptr<Process> process_;
};

// Sends raw bytes on a Unix socket and reads one reply line (for malformed-request tests).
std::optional<std::string> raw_control_exchange(const std::string& socket_path,
                                                const std::string& bytes, int timeout_ms = 2000);

// Sends raw bytes on one connection and reads up to `lines` reply lines, each within
// `timeout_ms`; returns what arrived (fewer lines when the daemon stopped answering).
std::vector<std::string> raw_control_lines(const std::string& socket_path, const std::string& bytes,
                                           std::size_t lines, int timeout_ms = 2000);

}  // namespace meshcall::test
