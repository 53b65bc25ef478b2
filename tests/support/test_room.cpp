// Test support: rooms and daemons.
#include "tests/support/test_room.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "client/control_client.hpp"
#include "config/key32.hpp"

namespace meshcall::test {

int TestRoom::port_of(const std::string& peer) const {
    for (const auto& p : peers)
        if (p.name == peer) return p.port;
    return 0;
}

std::string random_secret() {
    return key_to_base64(random_key32());
}

nlohmann::json sealed_room(const std::string& secret) {
    return {{"security", "room"}, {"secret", secret}};
}

TestRoom write_room(const TempDir& dir, const std::string& file, const std::string& room_name,
                    const std::vector<TestPeer>& peers, int width, int height, int bitrate_kbps,
                    const nlohmann::json& extra) {
    TestRoom room;
    room.name = room_name;
    room.path = dir.file(file);
    room.peers = peers;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : peers) {
        list.push_back({{"name", p.name}, {"host", "127.0.0.1"}, {"port", p.port}});
        if (!p.role.empty()) list.back()["role"] = p.role;
        list.back().update(p.fields);
        for (const auto& [key, value] : p.fields.items())
            if (value.is_null()) list.back().erase(key);
    }
    nlohmann::json j = {
        {"room", room_name},
        {"video",
         {{"width", width}, {"height", height}, {"fps", 30}, {"bitrate_kbps", bitrate_kbps}}},
        {"audio", {{"bitrate_kbps", 32}}},
        {"peers", list}};
    j.update(extra);
    dir.write(file, j.dump(2));
    return room;
}

TestRoom make_room(const TempDir& dir, const std::string& room_name,
                   const std::vector<std::string>& names, int width, int height, int bitrate_kbps) {
    std::vector<TestPeer> peers;
    for (const auto& n : names) peers.push_back({n, free_udp_port()});
    return write_room(dir, room_name + ".json", room_name, peers, width, height, bitrate_kbps);
}

TestPeer free_viewer(const std::string& name, int ports, const std::vector<TestPeer>& others) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int base = free_udp_port();
        bool all_free = base + ports <= 65536;
        for (const auto& o : others)
            all_free = all_free && (o.port < base || o.port >= base + ports);
        for (int k = 1; k < ports && all_free; ++k) {
            const int fd = bound_udp(base + k);
            all_free = fd >= 0;
            if (fd >= 0) close(fd);
        }
        if (all_free) return {name, base, "viewer"};
    }
    throw std::runtime_error("no run of " + std::to_string(ports) + " free UDP ports");
}

std::string stock_sender_url(const TestRoom& room, const std::string& to, const std::string& from) {
    return "udp://127.0.0.1:" + std::to_string(room.port_of(to)) +
           "?localport=" + std::to_string(room.port_of(from)) + "&pkt_size=1316";
}

Daemon::Daemon(const TempDir& dir, const TestRoom& room, const std::string& as,
               std::vector<std::string> extra_args)
    : control_(dir.file(as + ".sock")), log_(dir.file(as + ".log")) {
    std::vector<std::string> argv = {MESHCALLD_BIN, "--room",    room.path, "--as", as,
                                     "--headless",  "--control", control_,  "-v"};
    bool has_video = false, has_audio = false;
    for (const auto& a : extra_args) {
        has_video = has_video || a == "--video";
        has_audio = has_audio || a == "--audio";
    }
    if (!has_video) extra_args.insert(extra_args.end(), {"--video", "test"});
    if (!has_audio) extra_args.insert(extra_args.end(), {"--audio", "tone"});
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    // A profile path that does not exist: tests never read the user's profile.
    argv.insert(argv.end(), {"--profile", dir.file("no-profile.json")});
    process_ = std::make_unique<Process>(argv, log_);
}

bool Daemon::wait_ready(std::chrono::milliseconds timeout) {
    return wait_until([this] { return status().has_value() || !process_->running(); }, timeout) &&
           process_->running();
}

std::optional<nlohmann::json> Daemon::status() {
    std::string error;
    auto reply = control_request(control_, StatusRequest{}, error, 1000);
    if (!reply || !reply->value("ok", false)) return std::nullopt;
    return reply;
}

nlohmann::json Daemon::peer(const std::string& name) {
    auto s = status();
    if (!s) return nullptr;
    for (const auto& p : (*s)["peers"])
        if (p.value("name", std::string()) == name) return p;
    return nullptr;
}

std::optional<nlohmann::json> Daemon::request(const std::string& line) {
    auto reply = raw_control_exchange(control_, line + "\n");
    if (!reply) return std::nullopt;
    auto j = nlohmann::json::parse(*reply, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::vector<std::string> raw_control_lines(const std::string& path, const std::string& bytes,
                                           std::size_t lines, int timeout_ms) {
    std::vector<std::string> out;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return out;
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string buffered;
    char buf[4096];
    while (out.size() < lines) {
        if (auto nl = buffered.find('\n'); nl != std::string::npos) {
            out.push_back(buffered.substr(0, nl));
            buffered.erase(0, nl + 1);
            continue;
        }
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        buffered.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return out;
}

std::optional<std::string> raw_control_exchange(const std::string& path, const std::string& bytes,
                                                int timeout_ms) {
    auto lines = raw_control_lines(path, bytes, 1, timeout_ms);
    if (lines.empty()) return std::nullopt;
    return lines.front();
}

}  // namespace meshcall::test
