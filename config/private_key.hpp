// Private key: this user's X25519 secret key for "keys" rooms, kept in the profile directory
// (mode 0600), as written by `meshcall keygen`.
#pragma once

#include <string>

#include "config/key32.hpp"

namespace meshcall {

// config_dir() + "/private_key".
std::string default_key_path();

// Reads the key at `path`: base64 of 32 bytes and a newline. A ConfigError naming the path for
// a missing file ("no private key; run `meshcall keygen`"), a file the group or others may read
// or write (as ssh refuses such keys), or bad content.
Key32 load_private_key(const std::string& path);

// Writes `sk` to `path` (mode 0600; the directories it creates 0700). Refuses to replace an
// existing key unless `overwrite`. Throws ConfigError.
void write_private_key(const std::string& path, const Key32& sk);
void write_private_key(const std::string& path, const Key32& sk, bool overwrite);

// A fresh secret key from crypto_kx_keypair (an X25519 key pair).
Key32 generate_private_key();

// The X25519 public key of `sk` (crypto_scalarmult_base).
Key32 public_key_of(const Key32& sk);

}  // namespace meshcall
