// sealed_fuzz: libFuzzer target for the decrypt-and-replay-check path of an encrypted room
// (daemon/loop/peer_opener.cpp over protocol/sealed_datagram and replay_window).
//
// The input is a program: each step's first byte picks what bob's PeerOpener for alice is fed:
//   0: a datagram alice really sealed, with an epoch (one of three), a long or short header and a
//      counter from the input;
//   1: raw bytes from the input (an outsider: garbage, or a mutated header);
//   2: the last real datagram again (a replay if it opened before; one refused before may
//      open now: an older epoch is taken once the current one has been silent for 3 s);
//   3: time passes (the input's byte x 100 ms).
// Invariants: nothing but a real datagram ever opens, and it opens to what was sealed; a real
// datagram is never refused as unauthentic; a datagram that opened once never opens again;
// nothing crashes or leaks.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "config/room.hpp"
#include "daemon/loop/peer_opener.hpp"
#include "protocol/call_keys.hpp"
#include "protocol/sealed_datagram.hpp"

namespace {

using namespace meshcall;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "sealed_fuzz: %s\n", what);
    std::abort();
}

const Room& room() {
    static const Room r = [] {
        Room x = parse_room(R"({"room": "fuzz", "peers": [
            {"name": "alice", "host": "127.0.0.1", "port": 41310},
            {"name": "bob", "host": "127.0.0.1", "port": 41311}]})",
                            "fuzz.json");
        x.security = Security::room;
        Key32 s;
        s.fill(0x5A);
        x.secret = s;
        return x;
    }();
    return r;
}

class Input {
  public:
    Input(const uint8_t* d, std::size_t n) : d_(d), n_(n) {}
    bool empty() const { return i_ >= n_; }
    uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
    uint64_t u64() {
        uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v = v << 8 | byte();
        return v;
    }
    std::vector<uint8_t> bytes(std::size_t len) {
        len = std::min(len, n_ - std::min(n_, i_));
        std::vector<uint8_t> out(d_ + i_, d_ + i_ + len);
        i_ += len;
        return out;
    }

  private:
    const uint8_t* d_;
    std::size_t n_, i_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    init_crypto();
    static const uint64_t kEpochs[3] = {1000, 2000, 3000};
    PeerOpener bob(room(), 0, 1, std::nullopt);
    Input in(data, size);
    std::vector<uint8_t> last, out, plain(188, 0x11);
    std::pair<uint64_t, uint64_t> last_id{};
    std::set<std::pair<uint64_t, uint64_t>> opened;  // (epoch, counter) of what opened
    plain[0] = 0x47;
    int64_t now = 0;
    for (int step = 0; step < 256 && !in.empty(); ++step) {
        switch (in.byte() % 4) {
            case 0: {
                const uint8_t how = in.byte();
                const uint64_t epoch = kEpochs[how % 3];
                const bool named = how & 0x80;  // else a short header
                const uint64_t counter = in.u64() % 100000;
                plain[1] = static_cast<uint8_t>(counter);
                const SealHeader h{0, epoch, counter, named};
                last.resize(plain.size() + seal_overhead(h));
                seal_datagram(room_sender_key(*room().secret, "fuzz", "alice", epoch), h, plain,
                              last);
                last_id = {epoch, counter};
                const bool current = bob.epoch() == epoch;
                const auto r = bob.open(last, now, out);
                // A short header opens only under the epoch taken: under another it cannot be
                // told from a forgery.
                if ((named || current) &&
                    (r == PeerOpener::Result::auth_failed || r == PeerOpener::Result::plain))
                    fail("a real datagram was refused as unauthentic");
                if (named && r == PeerOpener::Result::epoch_unknown)
                    fail("a long header was taken for a short one");
                if (r == PeerOpener::Result::opened && out != plain) fail("opened to other bytes");
                if (r == PeerOpener::Result::opened && !opened.insert(last_id).second)
                    fail("a datagram opened twice");
                break;
            }
            case 1: {
                const auto raw = in.bytes(in.byte() * 8);
                if (bob.open(raw, now, out) == PeerOpener::Result::opened)
                    fail("bytes from the input opened");
                break;
            }
            case 2:
                if (!last.empty() && bob.open(last, now, out) == PeerOpener::Result::opened &&
                    !opened.insert(last_id).second)
                    fail("a replay opened");
                break;
            default:
                now += int64_t{in.byte()} * 100'000;
                break;
        }
    }
    return 0;
}
