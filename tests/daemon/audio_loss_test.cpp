// Lost, duplicated and reordered Opus datagrams between two real meshcalld: the receiver
// conceals the lost ones, drops the duplicates and plays the overtaken ones in order. The
// relay on the path chooses every datagram it harms by content, not by luck.
#include <doctest/doctest.h>

#include <atomic>
#include <optional>

#include "tests/support/relayed_call.hpp"
#include "tests/support/ts_edit.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

TEST_CASE("lost, duplicated and overtaken Opus datagrams: concealed, dropped, put back in order") {
    TempDir dir;
    RelayedCall call(dir, false);
    REQUIRE(call.ready());
    Daemon& bob = call.bob();
    REQUIRE(wait_until([&] { return bob.peer("alice").value("audio_frames", 0) >= 50; }, 10s));
    const auto before = bob.peer("alice");
    CHECK(before["audio_concealed"] == 0);
    CHECK(before["audio_stale"] == 0);

    std::atomic<int> dropped{0}, duplicated{0}, reordered{0};
    std::optional<Datagram> held;  // relay thread only: an audio datagram waiting to be overtaken
    uint64_t audio = 0;
    call.set_transform([&](Datagram d, const auto& send) {
        if (!starts_audio_pes(d)) return send(d);
        // Of every 10 audio datagrams: one lost, one sent twice, one overtaken by the next.
        switch (audio++ % 10) {
            case 2:
                ++dropped;
                break;
            case 5:
                send(d);
                send(d);
                ++duplicated;
                break;
            case 8:
                held = std::move(d);
                break;
            default:
                send(d);
                if (held) {
                    send(*held);
                    held.reset();
                    ++reordered;
                }
        }
    });
    CHECK(wait_until([&] { return dropped >= 8 && duplicated >= 8 && reordered >= 8; }, 10s));
    call.set_transform(nullptr);
    // What arrived by then is played (or dropped) within the reorder wait.
    wait_until(
        [&] {
            auto q = bob.peer("alice");
            return q.value("audio_concealed", 0) >= dropped &&
                   q.value("audio_stale", 0) + q.value("audio_reordered", 0) >=
                       duplicated + reordered;
        },
        2s);
    const auto p = bob.peer("alice");
    INFO(p.dump());
    MESSAGE("relay: dropped " << dropped.load() << ", duplicated " << duplicated.load()
                              << ", overtaken " << reordered.load() << "; bob: concealed "
                              << p["audio_concealed"] << ", stale " << p["audio_stale"]
                              << ", reordered " << p["audio_reordered"]);
    // Every loss concealed (a datagram may carry more than one packet: at least as many gaps),
    // every duplicate dropped, and every overtaken packet either put back in order or, if it
    // came after the wait for it was over (a busy machine), dropped as too late: never played
    // out of order. Most are put back.
    const int stale = p["audio_stale"].get<int>(), put_back = p["audio_reordered"].get<int>();
    CHECK(p["audio_concealed"].get<int>() >= dropped.load());
    CHECK(p["audio_concealed_ms"].get<int>() >= 20 * dropped.load());
    CHECK(stale >= duplicated.load());
    CHECK(put_back + stale >= reordered.load() + duplicated.load());
    CHECK(put_back >= reordered.load() / 2);
    CHECK(p["audio_frames"].get<int>() > before["audio_frames"].get<int>() + 50);
}
