// Private files: exclusive creation with mode 0600, private directories.
#include "config/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/error.hpp"

namespace meshcall {

namespace {

[[noreturn]] void fail_errno(const std::string& path, const char* doing) {
    throw ConfigError(path + ": cannot " + doing + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& text, const std::string& path) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno(path, "write the file");
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::string mode_text(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

void make_private_dirs(const std::string& dir) {
    for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
        const std::string part = dir.substr(0, slash);
        if (!part.empty() && ::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            fail_errno(part, "create the directory");
        if (slash == std::string::npos) break;
    }
}

void write_private_file(const std::string& path, const std::string& text, bool overwrite,
                        const std::string& if_exists) {
    const auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) make_private_dirs(path.substr(0, slash));
    if (overwrite && ::unlink(path.c_str()) != 0 && errno != ENOENT)
        fail_errno(path, "replace the file");
    FileDescriptor fd(
        ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0 && errno == EEXIST) throw ConfigError(path + ": already exists; " + if_exists);
    if (fd.get() < 0) fail_errno(path, "create the file");
    // 0600 exactly, whatever the umask took away.
    if (::fchmod(fd.get(), 0600) != 0) fail_errno(path, "set the file's mode to 0600");
    write_all(fd.get(), text, path);
    if (::fsync(fd.get()) != 0 || fd.close() != 0) fail_errno(path, "write the file");
}

}  // namespace meshcall
