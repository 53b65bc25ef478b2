// keygen: `meshcall keygen [--key PATH] [--force]` writes a fresh private key and prints its
// public key (for the room file's "public_key"); `--show` prints the public key of the key there.
#pragma once

#include <string>

namespace meshcall {

struct KeygenArgs {
    std::string key_path;  // empty: default_key_path()
    bool force = false;    // replace an existing key
    bool show = false;     // print the existing key's public key; write nothing
};

// Prints the public key (base64, one line) on stdout and a hint on stderr; returns the exit
// status: 0, or 2 (a key already there without --force, no key for --show, a bad key file).
int run_keygen(const KeygenArgs& args);

}  // namespace meshcall
