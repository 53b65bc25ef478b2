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
    std::vector<TestPeer> list;
    for (int i = 0; i < n; ++i) list.push_back({peers[i].name, base + i * n, peers[i].role});
    return write_room(dir, room_name + ".json", room_name, list, width, height, bitrate_kbps);
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

std::vector<std::string> ffplay_as_ffmpeg(const std::vector<std::string>& ffplay_argv,
                                          const std::string& url_options,
                                          const std::vector<std::string>& output) {
    REQUIRE(ffplay_argv.size() > 2);
    REQUIRE(ffplay_argv.front() == "ffplay");
    std::vector<std::string> argv = {"ffmpeg", "-nostdin"};
    for (std::size_t i = 1; i + 1 < ffplay_argv.size(); ++i) {
        const std::string& a = ffplay_argv[i];
        if (a == "-framedrop") continue;
        if (a == "-sync" || a == "-window_title") {
            ++i;  // and its value
            continue;
        }
        argv.push_back(a);
    }
    argv.insert(argv.end(), {"-i", ffplay_argv.back() + url_options});
    argv.insert(argv.end(), output.begin(), output.end());
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

}  // namespace meshcall::test
