// meshcall-bench-seal: the CPU cost of sealing and opening one datagram (issue 13), for datagrams
// of 1, 4 and 7 TS packets. Thread CPU time (CLOCK_THREAD_CPUTIME_ID) per datagram, in µs, as JSON:
//   {"seal_us": {"188": …, "752": …, "1316": …}, "open_us": {…}, "derive_us": …}
// Keys as meshcalld uses them in a "room" room: room_sender_key() once per sender epoch (not per
// datagram), then one seal per datagram (one ciphertext serves every receiver), one open per
// datagram received.
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "protocol/call_keys.hpp"
#include "protocol/sealed_datagram.hpp"

namespace {

double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace meshcall;
    const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
    init_crypto();
    Key32 secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = uint8_t(i * 7 + 1);
    const uint64_t epoch = new_epoch();

    // Key derivation: once per sender epoch.
    const long derive_n = 2000;
    Key32 key{};
    double t0 = thread_cpu_us();
    for (long i = 0; i < derive_n; ++i) key = room_sender_key(secret, "bench-room", "alice", epoch + uint64_t(i));
    const double derive_us = (thread_cpu_us() - t0) / double(derive_n);
    key = room_sender_key(secret, "bench-room", "alice", epoch);

    const std::size_t sizes[] = {188, 752, 1316};
    double seal_us[3], open_us[3];
    unsigned sink = 0;
    for (int s = 0; s < 3; ++s) {
        const std::size_t n = sizes[s];
        std::vector<uint8_t> plain(n), sealed(n + kSealOverhead), opened(n);
        for (std::size_t i = 0; i < n; ++i) plain[i] = uint8_t(i % 188 == 0 ? 0x47 : i * 31);
        SealHeader h{0, epoch, 0};
        // Warm up.
        for (int i = 0; i < 1000; ++i) {
            h.counter = uint64_t(i);
            sink += unsigned(seal_datagram(key, h, plain, sealed));
        }
        t0 = thread_cpu_us();
        for (long i = 0; i < iterations; ++i) {
            h.counter = uint64_t(i);
            sink += unsigned(seal_datagram(key, h, plain, sealed));
        }
        seal_us[s] = (thread_cpu_us() - t0) / double(iterations);
        // The receiver: peek the header, the sender's key of that epoch (derived once, reused), open.
        const Key32 rkey = room_sender_key(secret, "bench-room", "alice", epoch);
        t0 = thread_cpu_us();
        for (long i = 0; i < iterations; ++i) {
            auto ph = peek_seal_header(sealed);
            if (!ph || !open_datagram(rkey, sealed, ph->counter, opened)) {
                std::fprintf(stderr, "meshcall-bench-seal: a sealed datagram did not open\n");
                return 1;
            }
            sink += opened[0];
        }
        open_us[s] = (thread_cpu_us() - t0) / double(iterations);
    }
    std::printf("{\"seal_us\": {\"188\": %.4f, \"752\": %.4f, \"1316\": %.4f}, "
                "\"open_us\": {\"188\": %.4f, \"752\": %.4f, \"1316\": %.4f}, "
                "\"derive_us\": %.4f, \"iterations\": %ld, \"sink\": %u}\n",
                seal_us[0], seal_us[1], seal_us[2], open_us[0], open_us[1], open_us[2], derive_us, iterations,
                sink & 1u);
    return 0;
}
