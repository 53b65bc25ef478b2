// ControlClient: blocking Unix-socket request/reply.
#include "client/control_client.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "protocol/control_path.hpp"

namespace meshcall {

namespace {
int connect_unix(const std::string& path, std::string& error) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) {
        error = "socket path too long: " + path;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::strerror(errno);
        return -1;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = "no call answers on " + path + " (" + std::strerror(errno) + ")";
        close(fd);
        return -1;
    }
    return fd;
}
}  // namespace

std::optional<nlohmann::json> control_request(const std::string& path,
                                              const ControlRequest& request, std::string& error,
                                              int timeout_ms) {
    int fd = connect_unix(path, error);
    if (fd < 0) return std::nullopt;
    const std::string line = format_control_request(request);
    if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        error = "cannot send to " + path;
        close(fd);
        return std::nullopt;
    }
    std::string reply;
    char buf[4096];
    while (reply.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) {
            error = "the call on " + path + " did not answer";
            close(fd);
            return std::nullopt;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            error = "the call on " + path + " closed the connection";
            close(fd);
            return std::nullopt;
        }
        reply.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    auto j = nlohmann::json::parse(reply.substr(0, reply.find('\n')), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        error = "the call on " + path + " gave a reply that is not JSON";
        return std::nullopt;
    }
    return j;
}

std::vector<std::string> running_calls() {
    std::vector<std::string> out;
    const std::string dir = control_dir();
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() <= 5 || name.substr(name.size() - 5) != ".sock") continue;
        std::string path = dir + "/" + name, error;
        int fd = connect_unix(path, error);
        if (fd < 0) continue;
        close(fd);
        out.push_back(path);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace meshcall
