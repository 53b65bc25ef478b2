// Test support: guest rooms and command rewrites.
#include "tests/support/guest_room.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>

namespace meshcall::test {

namespace {

// A base port with `count` free ports from it on 127.0.0.1 (all bound at once, then closed).
int free_port_block(int count) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int base = free_udp_port();
        if (base <= 0 || base + count > 65535) continue;
        std::vector<int> fds;
        for (int p = base; p < base + count; ++p) {
            const int fd = bound_udp(p);
            if (fd < 0) break;
            fds.push_back(fd);
        }
        const bool all = static_cast<int>(fds.size()) == count;
        for (int fd : fds) close(fd);
        if (all) return base;
    }
    FAIL("no block of " << count << " free UDP ports");
    return -1;
}

}  // namespace

TestRoom make_guest_room(const TempDir& dir, const std::string& room_name,
                         const std::vector<GuestRoomPeer>& peers, int width, int height,
                         int bitrate_kbps) {
    const int n = static_cast<int>(peers.size());
    const int base = free_port_block(n * n);
    TestRoom room;
    room.name = room_name;
    room.path = dir.file(room_name + ".json");
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        room.peers.push_back({peers[i].name, base + i * n});
        nlohmann::json p = {{"name", peers[i].name}, {"host", "127.0.0.1"}, {"port", base + i * n}};
        if (!peers[i].role.empty()) p["role"] = peers[i].role;
        list.push_back(p);
    }
    const nlohmann::json j = {
        {"room", room_name},
        {"video",
         {{"width", width}, {"height", height}, {"fps", 30}, {"bitrate_kbps", bitrate_kbps}}},
        {"audio", {{"bitrate_kbps", 32}}},
        {"peers", list}};
    dir.write(room_name + ".json", j.dump(2));
    return room;
}

std::vector<std::string> replace_input(std::vector<std::string> argv, const std::string& device,
                                       const std::vector<std::string>& input) {
    std::size_t i = 1;
    while (i + 1 < argv.size() && !(argv[i] == "-i" && argv[i + 1] == device)) ++i;
    REQUIRE_MESSAGE(i + 1 < argv.size(), "no input " << device);
    std::size_t start = i;
    while (start > 1 && argv[start] != "-f") --start;
    REQUIRE(argv[start] == "-f");
    argv.erase(argv.begin() + static_cast<long>(start), argv.begin() + static_cast<long>(i + 2));
    argv.insert(argv.begin() + static_cast<long>(start), input.begin(), input.end());
    return argv;
}

std::vector<std::string> replace_output(std::vector<std::string> argv,
                                        const std::vector<std::string>& output) {
    REQUIRE(argv.size() > 3);
    REQUIRE(argv[argv.size() - 3] == "-f");
    REQUIRE(argv.back() == "-");
    argv.resize(argv.size() - 3);
    argv.insert(argv.end(), output.begin(), output.end());
    return argv;
}

long last_frame_count(const std::string& log) {
    const auto pos = log.rfind("frame=");
    if (pos == std::string::npos) return -1;
    return std::strtol(log.c_str() + pos + 6, nullptr, 10);
}

}  // namespace meshcall::test
