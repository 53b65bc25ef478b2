// SealedDatagram: seal and open with libsodium's ChaCha20-Poly1305-IETF.
#include "protocol/sealed_datagram.hpp"

#include <sodium.h>

#include <cstring>

namespace meshcall {

namespace {

void put_be(uint8_t* p, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

uint64_t get_be(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
    return v;
}

// The key is per sender, epoch (and receiver, in a "keys" room): the counter alone is unique.
std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> nonce_of(uint64_t counter) {
    std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> n{};
    put_be(n.data() + n.size() - 8, counter, 8);
    return n;
}

}  // namespace

std::optional<SealHeader> peek_seal_header(std::span<const uint8_t> d) {
    if (d.size() >= kSealShortOverhead && d[0] == kSealShortMagic)
        return SealHeader{d[1], 0, get_be(d.data() + 2, 4), false};
    if (d.size() < kSealOverhead || d[0] != kSealMagic) return std::nullopt;
    return SealHeader{d[1], get_be(d.data() + 2, 8), get_be(d.data() + 10, 6), true};
}

std::size_t seal_datagram(const Key32& key, const SealHeader& h, std::span<const uint8_t> plaintext,
                          std::span<uint8_t> out) {
    static_assert(kSealTagSize == crypto_aead_chacha20poly1305_IETF_ABYTES);
    uint8_t* p = out.data();
    std::size_t header_size = kSealHeaderSize;
    p[1] = h.sender;
    if (h.names_epoch) {
        p[0] = kSealMagic;
        put_be(p + 2, h.epoch, 8);
        put_be(p + 10, h.counter, 6);
    } else {
        p[0] = kSealShortMagic;
        put_be(p + 2, h.counter, 4);  // the low 32 bits
        header_size = kSealShortHeaderSize;
    }
    const auto nonce = nonce_of(h.counter);
    unsigned long long written = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(p + header_size, &written, plaintext.data(),
                                              plaintext.size(), p, header_size, nullptr,
                                              nonce.data(), key.data());
    return header_size + static_cast<std::size_t>(written);
}

bool open_datagram(const Key32& key, std::span<const uint8_t> d, uint64_t counter,
                   std::span<uint8_t> out) {
    const auto h = peek_seal_header(d);
    if (!h) return false;
    const std::size_t header_size = seal_overhead(*h) - kSealTagSize;
    const std::size_t plain_size = d.size() - seal_overhead(*h);
    if (out.size() < plain_size) return false;
    const auto nonce = nonce_of(counter);
    unsigned long long written = 0;
    const int rc = crypto_aead_chacha20poly1305_ietf_decrypt(
        out.data(), &written, nullptr, d.data() + header_size, d.size() - header_size, d.data(),
        header_size, nonce.data(), key.data());
    if (rc != 0) sodium_memzero(out.data(), plain_size);
    return rc == 0;
}

}  // namespace meshcall
