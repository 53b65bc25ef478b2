// Private files: written with mode 0600 and never silently replaced; checked, as ssh checks its
// keys, for permissions that let the group or others read them.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <string>

namespace meshcall {

// Owns a file descriptor: closed when the object goes.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    // Closes now, returning close()'s result (where a delayed write error may show).
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

// Creates `path` with mode 0600 (open O_CREAT|O_EXCL|O_WRONLY|O_NOFOLLOW) and writes `text`.
// An existing file is replaced only when `overwrite`; otherwise a ConfigError
// "PATH: already exists; <if_exists>". Other failures are ConfigErrors naming the path.
void write_private_file(const std::string& path, const std::string& text, bool overwrite,
                        const std::string& if_exists);

// Creates `dir` and its missing parents with mode 0700 (existing ones are left as they are).
void make_private_dirs(const std::string& dir);

// True when `mode` lets the group or others read, write or run the file.
inline bool too_open(mode_t mode) {
    return (mode & 077) != 0;
}

// "0644": a file's permission bits as chmod writes them.
std::string mode_text(mode_t mode);

}  // namespace meshcall
