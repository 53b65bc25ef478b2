// Private key: loading with ssh's permission rule, exclusive writing, key pairs from libsodium.
#include "config/private_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/error.hpp"
#include "config/private_file.hpp"
#include "config/profile.hpp"

namespace meshcall {

namespace {

// A key file is one line of 44 characters; anything much longer is not a key.
constexpr std::size_t kMaxKeyFile = 256;

// Keeps a secret's text and wipes it when it goes.
class SecretText {
  public:
    SecretText() : text_(kMaxKeyFile, '\0') {}
    ~SecretText() { sodium_memzero(text_.data(), text_.size()); }
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    std::string& get() { return text_; }

  private:
    std::string text_;
};

// Reads up to kMaxKeyFile bytes of `fd` into `out`, without the line end; false on a read error.
bool read_key_text(int fd, std::string& out) {
    std::size_t length = 0;
    while (length < out.size()) {
        const ssize_t n = ::read(fd, out.data() + length, out.size() - length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        length += static_cast<std::size_t>(n);
    }
    out.resize(length);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return true;
}

void check_mode(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw ConfigError(path + ": cannot read the private key: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw ConfigError(path + ": is not a file; expected a private key");
    if (too_open(st.st_mode))
        throw ConfigError(path + ": permissions " + mode_text(st.st_mode) +
                          " are too open; the private key must be readable by you alone (chmod "
                          "600 " +
                          path + ")");
}

}  // namespace

std::string default_key_path() {
    return config_dir() + "/private_key";
}

Key32 load_private_key(const std::string& path) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT)
        throw ConfigError(path + ": no private key; run `meshcall keygen`");
    if (fd.get() < 0)
        throw ConfigError(path + ": cannot open the private key: " + std::strerror(errno));
    check_mode(fd.get(), path);
    SecretText text;
    if (!read_key_text(fd.get(), text.get()))
        throw ConfigError(path + ": cannot read the private key: " + std::strerror(errno));
    std::string error;
    auto key = key_from_base64(text.get(), "a private key", error);
    if (!key)
        throw ConfigError(path + ": " + error +
                          "; this is not a private key written by `meshcall keygen`");
    return *key;
}

void write_private_key(const std::string& path, const Key32& sk) {
    write_private_key(path, sk, false);
}

void write_private_key(const std::string& path, const Key32& sk, bool overwrite) {
    std::string text = key_to_base64(sk) + "\n";
    try {
        write_private_file(path, text, overwrite,
                           "keep it, or replace it with `meshcall keygen --force` (the rooms that "
                           "list its public key then need your new one)");
    } catch (...) {
        sodium_memzero(text.data(), text.size());
        throw;
    }
    sodium_memzero(text.data(), text.size());
}

Key32 generate_private_key() {
    init_sodium();
    Key32 pk{}, sk{};
    if (crypto_kx_keypair(pk.data(), sk.data()) != 0)
        throw ConfigError("libsodium could not make a key pair");
    return sk;
}

Key32 public_key_of(const Key32& sk) {
    init_sodium();
    Key32 pk{};
    if (crypto_scalarmult_base(pk.data(), sk.data()) != 0)
        throw ConfigError(
            "this private key has no usable public key; run `meshcall keygen --force`");
    return pk;
}

}  // namespace meshcall
