// Key32: base64 through libsodium, randomness from randombytes_buf.
#include "config/key32.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace meshcall {

namespace {
constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
}

void init_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string key_to_base64(const Key32& key) {
    std::string text(sodium_base64_ENCODED_LEN(key.size(), kVariant), '\0');
    sodium_bin2base64(text.data(), text.size(), key.data(), key.size(), kVariant);
    text.resize(text.size() - 1);  // the encoder's terminating NUL
    return text;
}

std::optional<Key32> key_from_base64(const std::string& text, const char* noun,
                                     std::string& error) {
    // Room for whatever the text decodes to, so that a wrong length is told apart from bad text.
    std::vector<unsigned char> bin(text.size() / 4 * 3 + 3);
    std::size_t length = 0;
    if (sodium_base642bin(bin.data(), bin.size(), text.data(), text.size(), nullptr, &length,
                          nullptr, kVariant) != 0) {
        error = "is not base64 (A-Z, a-z, 0-9, '+', '/', padded with '='; 44 characters for " +
                std::string(noun) + ")";
        return std::nullopt;
    }
    Key32 key{};
    if (length != key.size()) {
        sodium_memzero(bin.data(), bin.size());
        error = "decodes to " + std::to_string(length) + " bytes; " + noun + " is 32";
        return std::nullopt;
    }
    std::copy(bin.begin(), bin.begin() + static_cast<std::ptrdiff_t>(key.size()), key.begin());
    sodium_memzero(bin.data(), bin.size());
    return key;
}

Key32 random_key32() {
    init_sodium();
    Key32 key{};
    randombytes_buf(key.data(), key.size());
    return key;
}

}  // namespace meshcall
