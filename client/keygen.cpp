// keygen: the user's X25519 key pair for "keys" rooms.
#include "client/keygen.hpp"

#include <cstdio>

#include "config/error.hpp"
#include "config/private_key.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

namespace {

void print_hint(const std::string& path) {
    std::fprintf(stderr,
                 "meshcall: wrote a new private key to %s (mode 0600: never share it)\n"
                 "meshcall: the line above is your public key: put it in the room file as your "
                 "entry's \"public_key\"\n",
                 path.c_str());
}

}  // namespace

int run_keygen(const KeygenArgs& args) {
    const std::string path = args.key_path.empty() ? default_key_path() : args.key_path;
    try {
        if (args.show) {
            std::printf("%s\n", key_to_base64(public_key_of(load_private_key(path))).c_str());
            return kExitOk;
        }
        const Key32 sk = generate_private_key();
        write_private_key(path, sk, args.force);
        std::printf("%s\n", key_to_base64(public_key_of(sk)).c_str());
        print_hint(path);
        return kExitOk;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    }
}

}  // namespace meshcall
