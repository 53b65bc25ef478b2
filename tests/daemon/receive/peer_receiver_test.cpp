// Tests daemon/receive/peer_receiver with a real meshcalld stream (a seed of the demux fuzzer):
// datagrams that waited in the queue longer than the bound are dropped unread and counted,
// fresh ones are decoded, and a reset marker is honoured however old. The clock is injected:
// nothing sleeps.
#include "daemon/receive/peer_receiver.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace meshcall;

namespace {

constexpr int64_t kNow = 100'000'000;
int64_t fixed_clock() {
    return kNow;
}

// The seed's stream (after its two-byte fuzzer prefix), cut into datagrams of 7 TS packets.
std::vector<std::vector<uint8_t>> seed_datagrams(const std::string& seed) {
    std::ifstream f(std::string(MESHCALL_SOURCE_DIR) + "/tests/fuzz/corpus/demux_fuzz/" + seed,
                    std::ios::binary);
    REQUIRE(f.good());
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f), {}};
    REQUIRE(bytes.size() > 2);
    std::vector<std::vector<uint8_t>> out;
    for (std::size_t pos = 2; pos < bytes.size(); pos += 7 * 188) {
        const std::size_t end = std::min(bytes.size(), pos + 7 * 188);
        out.emplace_back(bytes.begin() + long(pos), bytes.begin() + long(end));
    }
    return out;
}

void push_all(PeerReceiver& r, const std::vector<std::vector<uint8_t>>& datagrams,
              int64_t arrival_us) {
    for (const auto& d : datagrams) REQUIRE(r.queue().push(PeerDatagram{false, d, arrival_us}));
}

// Video frames decoded from the seed's stream, every datagram fresh.
uint64_t frames_when_fresh(const std::vector<std::vector<uint8_t>>& datagrams) {
    PeerReceiver r("fresh", VideoSettings{}, &fixed_clock);
    push_all(r, datagrams, kNow - 1000);
    r.queue().push(PeerDatagram{true, {}, kNow});
    r.demux_pass();
    CHECK(r.stats().stale_drops.load() == 0);
    CHECK(r.stats().stale_episodes.load() == 0);
    return r.stats().video_frames.load();
}

}  // namespace

TEST_CASE("peer receiver: a backlog older than the bound is dropped and counted, not decoded") {
    const auto datagrams = seed_datagrams("meshcall_160x120_start");
    const uint64_t fresh_frames = frames_when_fresh(datagrams);
    REQUIRE(fresh_frames > 0);

    // The same stream twice: first as a backlog that waited 1 s, then fresh.
    PeerReceiver r("behind", VideoSettings{}, &fixed_clock);
    push_all(r, datagrams, kNow - 1'000'000);
    push_all(r, datagrams, kNow - StaleBacklog::kBoundUs);  // at the bound: still fresh
    r.queue().push(PeerDatagram{true, {}, kNow});
    r.demux_pass();
    CHECK(r.stats().stale_drops.load() == datagrams.size());
    CHECK(r.stats().stale_episodes.load() == 1);
    // The stale copy never reached the decoder.
    CHECK(r.stats().video_frames.load() == fresh_frames);
    CHECK(r.queue().dropped() == 0);
}

TEST_CASE("peer receiver: a reset marker is never dropped as stale") {
    const auto datagrams = seed_datagrams("meshcall_160x120_start");
    const uint64_t fresh_frames = frames_when_fresh(datagrams);

    PeerReceiver r("restarted", VideoSettings{}, &fixed_clock);
    push_all(r, datagrams, kNow - 5'000'000);
    r.queue().push(PeerDatagram{true, {}, kNow - 5'000'000});  // old, but it ends the stream
    push_all(r, datagrams, kNow);
    r.queue().push(PeerDatagram{true, {}, kNow});
    r.demux_pass();  // ends at the old marker, having decoded nothing
    CHECK(r.stats().video_frames.load() == 0);
    CHECK(r.stats().stale_drops.load() == datagrams.size());
    r.demux_pass();
    CHECK(r.stats().video_frames.load() == fresh_frames);
    CHECK(r.stats().stale_drops.load() == datagrams.size());
    CHECK(r.stats().stale_episodes.load() == 1);
}
