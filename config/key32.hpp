// Key32: a 32-byte key (a room secret, an X25519 key), its base64 text form, and making one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace meshcall {

using Key32 = std::array<uint8_t, 32>;

// Standard base64 with padding (libsodium's sodium_base64_VARIANT_ORIGINAL): 44 characters.
std::string key_to_base64(const Key32& key);

// Decodes `text`; on failure returns nullopt and sets `error` to the problem, worded for a
// "file: field: problem" message with `noun` ("a secret", "a public key"): "is not base64 ..."
// or "decodes to 31 bytes; a secret is 32".
std::optional<Key32> key_from_base64(const std::string& text, const char* noun, std::string& error);

// 32 bytes from libsodium's randombytes_buf.
Key32 random_key32();

// sodium_init(), once; throws std::runtime_error if libsodium cannot start.
void init_sodium();

}  // namespace meshcall
