// CallKeys: BLAKE2b (crypto_generichash) key derivation and crypto_kx.
#include "protocol/call_keys.hpp"

#include <sodium.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace meshcall {

namespace {

// BLAKE2b-256 keyed with `key` (or unkeyed) over the parts, each followed by a 0 byte.
class KeyHash {
  public:
    explicit KeyHash(const Key32* key) {
        crypto_generichash_init(&state_, key ? key->data() : nullptr, key ? key->size() : 0, 32);
    }
    KeyHash& add(std::string_view part) {
        crypto_generichash_update(&state_, reinterpret_cast<const uint8_t*>(part.data()),
                                  part.size());
        const uint8_t zero = 0;
        crypto_generichash_update(&state_, &zero, 1);
        return *this;
    }
    KeyHash& add(const Key32& bytes) {
        crypto_generichash_update(&state_, bytes.data(), bytes.size());
        return *this;
    }
    KeyHash& add(uint64_t epoch) {
        uint8_t be[8];
        for (int i = 7; i >= 0; --i, epoch >>= 8) be[i] = static_cast<uint8_t>(epoch);
        crypto_generichash_update(&state_, be, sizeof be);
        return *this;
    }
    Key32 finish() {
        Key32 out;
        crypto_generichash_final(&state_, out.data(), out.size());
        return out;
    }

  private:
    crypto_generichash_state state_;
};

}  // namespace

void init_crypto() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start (sodium_init failed)");
}

uint64_t new_epoch() {
    init_crypto();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return static_cast<uint64_t>(us) << 8 | randombytes_uniform(256);
}

Key32 room_sender_key(const Key32& secret, std::string_view room, std::string_view sender,
                      uint64_t epoch) {
    return KeyHash(&secret).add("meshcall-v1-room").add(room).add(sender).add(epoch).finish();
}

std::optional<DirectionKeys> direction_keys(const Key32& my_secret, const Key32& my_public,
                                            const Key32& peer_public) {
    init_crypto();
    DirectionKeys k;
    const bool client = std::memcmp(my_public.data(), peer_public.data(), my_public.size()) < 0;
    const int rc =
        client
            ? crypto_kx_client_session_keys(k.from_peer.data(), k.to_peer.data(), my_public.data(),
                                            my_secret.data(), peer_public.data())
            : crypto_kx_server_session_keys(k.from_peer.data(), k.to_peer.data(), my_public.data(),
                                            my_secret.data(), peer_public.data());
    if (rc != 0) return std::nullopt;
    return k;
}

Key32 pair_epoch_key(const Key32& direction, const std::optional<Key32>& secret,
                     std::string_view room, uint64_t epoch) {
    return KeyHash(secret ? &*secret : nullptr)
        .add("meshcall-v1-keys")
        .add(direction)
        .add(room)
        .add(epoch)
        .finish();
}

}  // namespace meshcall
