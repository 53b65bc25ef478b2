// StunMessage: encoding a Binding request and reading the mapped address of its answer.
#include "protocol/stun_message.hpp"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "protocol/call_keys.hpp"

namespace meshcall {

namespace {

constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;

constexpr uint16_t kMappedAddress = 0x0001;
constexpr uint16_t kMessageIntegrity = 0x0008;
constexpr uint16_t kMessageIntegritySha256 = 0x001C;
constexpr uint16_t kXorMappedAddress = 0x0020;
constexpr uint16_t kFingerprint = 0x8028;
constexpr uint32_t kFingerprintXor = 0x5354554e;  // "STUN"

constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;

uint16_t get_be16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint32_t get_be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

void put_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void put_be32(uint8_t* p, uint32_t v) {
    for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

// CRC-32 of ISO 3309 / ITU-T V.42 (the zlib one), as FINGERPRINT uses it (RFC 8489 14.7).
uint32_t crc32(std::span<const uint8_t> bytes) {
    uint32_t crc = 0xFFFFFFFF;
    for (uint8_t b : bytes) {
        crc ^= b;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320 & (0 - (crc & 1)));
    }
    return ~crc;
}

// MAPPED-ADDRESS or XOR-MAPPED-ADDRESS (RFC 8489 14.1, 14.2): reserved byte, family, port,
// 4 or 16 address bytes. The XOR form masks the port with the cookie's top 16 bits and the
// address with the cookie (IPv4) or the cookie and the transaction id (IPv6).
std::optional<Address> decode_address(std::span<const uint8_t> value, bool xored,
                                      const StunTransactionId& id) {
    if (value.size() < 4) return std::nullopt;
    uint8_t mask[16];
    put_be32(mask, xored ? kStunMagicCookie : 0);
    if (xored) {
        std::memcpy(mask + 4, id.data(), id.size());
    } else {
        std::memset(mask + 4, 0, sizeof mask - 4);
    }
    const uint16_t port = get_be16(value.data() + 2) ^ get_be16(mask);
    const uint8_t family = value[1];

    sockaddr_storage storage{};
    if (family == kFamilyIpv4 && value.size() == 4 + 4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        uint8_t ip[4];
        for (int i = 0; i < 4; ++i) ip[i] = value[4 + i] ^ mask[i];
        std::memcpy(&sin->sin_addr, ip, sizeof ip);
    } else if (family == kFamilyIpv6 && value.size() == 4 + 16) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        uint8_t ip[16];
        for (int i = 0; i < 16; ++i) ip[i] = value[4 + i] ^ mask[i];
        std::memcpy(&sin6->sin6_addr, ip, sizeof ip);
    } else {
        return std::nullopt;
    }
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace

StunTransactionId new_stun_transaction_id() {
    init_crypto();
    StunTransactionId id{};
    randombytes_buf(id.data(), id.size());
    return id;
}

std::vector<uint8_t> encode_stun_binding_request(const StunTransactionId& id) {
    std::vector<uint8_t> out(kStunHeaderSize);
    put_be16(out.data(), kBindingRequest);
    put_be16(out.data() + 2, 0);  // no attributes
    put_be32(out.data() + 4, kStunMagicCookie);
    std::copy(id.begin(), id.end(), out.begin() + 8);
    return out;
}

bool looks_like_stun(std::span<const uint8_t> datagram) {
    if (datagram.size() < kStunHeaderSize) return false;
    const uint8_t* d = datagram.data();
    if ((d[0] & 0xC0) != 0) return false;
    if (get_be32(d + 4) != kStunMagicCookie) return false;
    const std::size_t length = get_be16(d + 2);
    return length % 4 == 0 && length == datagram.size() - kStunHeaderSize;
}

std::optional<Address> parse_stun_binding_response(std::span<const uint8_t> datagram,
                                                   const StunTransactionId& id) {
    if (!looks_like_stun(datagram)) return std::nullopt;
    const uint8_t* d = datagram.data();
    if (get_be16(d) != kBindingSuccess) return std::nullopt;
    if (!std::equal(id.begin(), id.end(), d + 8)) return std::nullopt;

    // Unknown attributes are skipped, comprehension-required ones too (RFC 8489 says to discard
    // such a response): servers in the wild add RFC 3489 ones (SOURCE-ADDRESS, CHANGED-ADDRESS)
    // that change nothing about the mapped address.
    std::optional<Address> xor_mapped;
    std::optional<Address> mapped;
    bool after_integrity = false;
    std::size_t offset = kStunHeaderSize;
    while (offset < datagram.size()) {
        const std::size_t left = datagram.size() - offset;
        if (left < 4) return std::nullopt;
        const uint16_t type = get_be16(d + offset);
        const std::size_t length = get_be16(d + offset + 2);
        const std::size_t padded = (length + 3) & ~std::size_t{3};
        if (left - 4 < padded) return std::nullopt;  // runs past the end
        const auto value = datagram.subspan(offset + 4, length);

        if (type == kFingerprint) {
            // Last, and the CRC of everything before it (whose length field counts it).
            if (length != 4 || offset + 8 != datagram.size()) return std::nullopt;
            if (get_be32(value.data()) != (crc32(datagram.first(offset)) ^ kFingerprintXor))
                return std::nullopt;
        } else if (after_integrity) {
            // Ignored (RFC 8489 14.5): added by someone who did not hold the key.
        } else if (type == kXorMappedAddress && !xor_mapped) {
            xor_mapped = decode_address(value, true, id);
            if (!xor_mapped) return std::nullopt;
        } else if (type == kMappedAddress && !mapped) {
            mapped = decode_address(value, false, id);
            if (!mapped) return std::nullopt;
        } else if (type == kMessageIntegrity || type == kMessageIntegritySha256) {
            after_integrity = true;
        }
        offset += 4 + padded;
    }
    return xor_mapped ? xor_mapped : mapped;
}

}  // namespace meshcall
