// stun_fuzz: libFuzzer target for the STUN answer parser (protocol/stun_message.cpp), which reads
// whatever reaches a participant's UDP socket.
//
// The input is one datagram. It is parsed as the answer to the transaction id in its own bytes
// 8-19 (so that mutations reach the attributes), and to another id. Invariants: nothing
// crashes or reads out of bounds; an address comes only from a datagram that looks like STUN,
// is a Binding success response and carries the id asked for, and it is IPv4 or IPv6; the
// answer to another id is nothing; looks_like_stun is never true for what starts like TS (0x47)
// or a sealed datagram (0xE4, 0xE5), nor for what the TS and sealed checks take.
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "protocol/sealed_datagram.hpp"
#include "protocol/stun_message.hpp"
#include "protocol/ts_packet.hpp"

namespace {

using namespace meshcall;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "stun_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::span<const uint8_t> datagram(data, size);
    const bool stun = looks_like_stun(datagram);
    if (stun && (data[0] == 0x47 || data[0] == kSealMagic || data[0] == kSealShortMagic))
        fail("looks_like_stun took a TS or sealed first byte");
    if (stun && (is_ts_datagram(datagram) || peek_seal_header(datagram)))
        fail("a datagram is both STUN and TS or sealed");

    StunTransactionId own{};
    if (size >= kStunHeaderSize) std::copy(data + 8, data + 20, own.begin());
    const auto mapped = parse_stun_binding_response(datagram, own);
    if (mapped) {
        if (!stun) fail("an address from a datagram that does not look like STUN");
        if (data[0] != 0x01 || data[1] != 0x01) fail("an address from no Binding success response");
        if (mapped->family() != AF_INET && mapped->family() != AF_INET6)
            fail("an address of neither family");
        if (!(*parse_stun_binding_response(datagram, own) == *mapped)) fail("not deterministic");
    }

    StunTransactionId other = own;
    other[0] ^= 0x80;
    if (parse_stun_binding_response(datagram, other)) fail("an answer to another transaction");
    return 0;
}
