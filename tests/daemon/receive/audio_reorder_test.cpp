// AudioReorder: timestamp order, duplicates, late packets and gaps, on fixed timelines.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/receive/audio_reorder.hpp"

using namespace meshcall;

namespace {
constexpr int64_t kFrame = 960;  // 20 ms at 48 kHz

// Packet k of a 20 ms stream; its one byte is k, so a step shows which packet it carries.
AudioReorder::Packet packet(int k, int64_t arrived_us = 0) {
    return {k * kFrame, kFrame, {static_cast<uint8_t>(k)}, arrived_us};
}

// Everything next() lets go of now, as "d<k>" (decode packet k), "c<samples>><k>" (conceal
// before packet k) or "c<samples>@<pts>" (conceal ahead, nothing to come after yet).
std::vector<std::string> drain(AudioReorder& r, int64_t now_us = 0, bool starving = false) {
    std::vector<std::string> steps;
    while (auto s = r.next(now_us, starving)) {
        if (s->kind == AudioReorder::Step::decode)
            steps.push_back("d" + std::to_string(s->packet[0]));
        else if (s->packet.empty())
            steps.push_back("c" + std::to_string(s->samples) + "@" + std::to_string(s->pts));
        else
            steps.push_back("c" + std::to_string(s->samples) + ">" + std::to_string(s->packet[0]));
    }
    return steps;
}
using Steps = std::vector<std::string>;
}  // namespace

TEST_CASE("audio reorder: packets in order go straight through") {
    AudioReorder r;
    for (int k = 0; k < 5; ++k) {
        CHECK(r.push(packet(k)) == AudioReorder::Push::queued);
        CHECK(drain(r) == Steps{"d" + std::to_string(k)});
        CHECK(r.wait_us(0) != AudioReorder::kPollUs);  // nothing held, nothing overdue
    }
    CHECK(r.counters().stale == 0);
    CHECK(r.counters().concealed == 0);
}

TEST_CASE("audio reorder: a duplicate is dropped, played or still held") {
    AudioReorder r;
    r.push(packet(0));
    CHECK(drain(r) == Steps{"d0"});
    CHECK(r.push(packet(0)) == AudioReorder::Push::stale);  // already played
    r.push(packet(2));
    CHECK(r.push(packet(2)) == AudioReorder::Push::duplicate);  // held behind the gap
    CHECK(drain(r).empty());
    r.push(packet(1));
    CHECK(drain(r) == Steps{"d1", "d2"});
    CHECK(r.counters().stale == 2);
}

TEST_CASE("audio reorder: a packet overtaken by the next one is put back in order") {
    AudioReorder r;
    r.push(packet(0, 0));
    CHECK(drain(r, 0) == Steps{"d0"});
    r.push(packet(2, 40'000));
    CHECK(drain(r, 45'000).empty());  // waits for 1
    CHECK(r.wait_us(45'000) == AudioReorder::kPollUs);
    r.push(packet(1, 50'000));
    CHECK(drain(r, 50'000) == Steps{"d1", "d2"});
    CHECK(r.counters().reordered == 1);
    CHECK(r.counters().concealed == 0);
}

TEST_CASE(
    "audio reorder: a lost packet is concealed once the wait is over, and is stale if it comes "
    "after") {
    AudioReorder r;
    r.push(packet(0, 0));
    drain(r, 0);
    r.push(packet(2, 40'000));
    CHECK(drain(r, 40'000 + AudioReorder::kMaxWaitUs - 1).empty());
    CHECK(drain(r, 40'000 + AudioReorder::kMaxWaitUs) == Steps{"c960>2", "d2"});
    CHECK(r.push(packet(1, 120'000)) == AudioReorder::Push::stale);
    CHECK(r.counters().concealed == 1);
    CHECK(r.counters().concealed_samples == kFrame);
}

TEST_CASE("audio reorder: a gap is concealed at once when the player is about to run dry") {
    AudioReorder r;
    r.push(packet(0));
    drain(r);
    r.push(packet(3));  // 1 and 2 lost
    CHECK(drain(r, 0, true) == Steps{"c1920>3", "d3"});
}

TEST_CASE("audio reorder: at most a few packets wait behind a gap") {
    AudioReorder r;
    r.push(packet(0));
    drain(r);
    for (int k = 2; k < 2 + int(AudioReorder::kMaxHeld) - 1; ++k) {
        r.push(packet(k));
        CHECK(drain(r).empty());
    }
    r.push(packet(2 + int(AudioReorder::kMaxHeld) - 1));
    CHECK(drain(r) == Steps{"c960>2", "d2", "d3", "d4", "d5"});
}

TEST_CASE("audio reorder: an outage longer than concealment covers is not concealed") {
    AudioReorder r;
    r.push(packet(0));
    drain(r);
    r.push(packet(20));  // 380 ms later
    CHECK(drain(r, 0, true) == Steps{"d20"});
    CHECK(r.counters().concealed == 0);
}

TEST_CASE("audio reorder: a timeline that jumps forward or back starts over") {
    AudioReorder r;
    r.push(packet(100));
    drain(r);
    CHECK(r.push(packet(100 + 60)) == AudioReorder::Push::restart);  // 1.2 s ahead
    CHECK(drain(r) == Steps{"d160"});
    // Back by 0.5 s: stale at first (a late packet looks the same), a new timeline once it
    // has gone on for half a second.
    int restart_at = -1;
    for (int k = 0; k < 30 && restart_at < 0; ++k) {
        if (r.push(packet(135 + k)) == AudioReorder::Push::restart) restart_at = k;
        drain(r);
    }
    CHECK(restart_at == AudioReorder::kStaleRestart - 1);
    CHECK(r.counters().restarts == 2);
}

TEST_CASE("audio reorder: a packet without a timestamp follows the one before") {
    AudioReorder r;
    r.push(packet(7));
    r.push({AudioReorder::kNoPts, kFrame, {8}, 0});
    CHECK(drain(r) == Steps{"d7", "d8"});
}

TEST_CASE("audio reorder: a lost packet with nothing after it is concealed as it is due") {
    // 40 ms packets, each arriving as its sound starts; packet 1 is lost.
    AudioReorder r;
    const int64_t f = 2 * kFrame;
    r.push({0, f, {0}, 0});
    CHECK(drain(r, 0) == Steps{"d0"});
    const int64_t due = 40'000 + AudioReorder::kOverdueUs;
    CHECK(r.wait_us(0) == due);              // nothing to do before then
    CHECK(drain(r, due - 1, true).empty());  // not late yet
    CHECK(drain(r, due, false).empty());     // late, but the player has enough
    CHECK(r.wait_us(due) == AudioReorder::kPollUs);
    CHECK(drain(r, due, true) == Steps{"c960@1920"});  // one block at a time, as needed
    CHECK(drain(r, due, true).empty());
    CHECK(drain(r, due + 20'000, true) == Steps{"c960@2880"});
    // Packet 2 comes: played right after what was concealed, with no gap and no repeat.
    r.push({2 * f, f, {2}, 80'000});
    CHECK(drain(r, 80'000, true) == Steps{"d2"});
    CHECK(r.counters().concealed == 1);  // one gap, however many blocks it took
    CHECK(r.counters().concealed_samples == 2 * kFrame);
    CHECK(r.push({f, f, {1}, 81'000}) == AudioReorder::Push::stale);  // too late now
}

TEST_CASE("audio reorder: concealing ahead stops after the longest gap it covers") {
    AudioReorder r;
    r.push(packet(0, 0));
    drain(r, 0);
    int64_t now = 20'000 + AudioReorder::kOverdueUs;
    int blocks = 0;
    for (int i = 0; i < 20; ++i, now += 20'000) blocks += int(drain(r, now, true).size());
    CHECK(blocks == AudioReorder::kMaxConceal / AudioReorder::kAheadBlock);
    CHECK(r.wait_us(now) == AudioReorder::kIdleUs);  // the sender stopped: no more polling
    // The sender comes back 1 s later: that is an outage, played from there, not concealed.
    r.push(packet(50, now));
    CHECK(drain(r, now, true) == Steps{"d50"});
    CHECK(r.counters().concealed == 1);
}

TEST_CASE("audio reorder: a packet that comes after part of it was concealed is played whole") {
    AudioReorder r;
    const int64_t f = 2 * kFrame;
    r.push({0, f, {0}, 0});
    drain(r, 0);
    CHECK(drain(r, 45'000, true) == Steps{"c960@1920"});
    // Late, not lost: one more block is made up, then it plays whole; the buffer grows by the
    // 40 ms made up.
    r.push({f, f, {1}, 50'000});
    auto made_up = r.next(50'000, false);  // whether starving or not
    REQUIRE(made_up);
    CHECK(made_up->kind == AudioReorder::Step::conceal);
    CHECK(made_up->packet.empty());  // not from FEC: that is the packet before's
    auto step = r.next(50'000, false);
    REQUIRE(step);
    CHECK(step->kind == AudioReorder::Step::decode);
    CHECK(step->pts == f);
    CHECK(step->late == 2 * kFrame);
    r.push({2 * f, f, {2}, 90'000});
    CHECK(drain(r, 90'000, true) == Steps{"d2"});
    CHECK(r.counters().stale == 0);
    CHECK(r.counters().late == 1);
    CHECK(r.counters().late_samples == 2 * kFrame);
    CHECK(r.counters().concealed == 1);
}

TEST_CASE("audio reorder: packets that come after their whole time was concealed still play") {
    // The path's delay stepped up by 100 ms: what was concealed ahead meanwhile is not thrown
    // away with the packets it stood in for; they play, 100 ms later than before.
    AudioReorder r;
    const int64_t f = 2 * kFrame;
    r.push({0, f, {0}, 0});
    drain(r, 0);
    for (int64_t now = 45'000; now < 140'000; now += 20'000) drain(r, now, true);
    CHECK(r.counters().concealed_samples == 5 * kFrame);
    CHECK(r.push({f, f, {1}, 140'000}) == AudioReorder::Push::queued);
    auto made_up = r.next(140'000, true);
    REQUIRE(made_up);
    CHECK(made_up->kind == AudioReorder::Step::conceal);
    auto step = r.next(140'000, true);
    REQUIRE(step);
    CHECK(step->pts == f);
    CHECK(step->late == 6 * kFrame);
    CHECK(r.push({2 * f, f, {2}, 141'000}) == AudioReorder::Push::queued);
    CHECK(drain(r, 141'000, true) == Steps{"d2"});
    CHECK(r.counters().stale == 0);
}

TEST_CASE("audio reorder: sound held behind a gap is looked at again within a few ms") {
    AudioReorder r;
    CHECK(r.wait_us(0) == AudioReorder::kIdleUs);  // nothing yet
    r.push(packet(0, 0));
    drain(r, 0);
    r.push(packet(2, 10'000));
    CHECK(drain(r, 10'000).empty());
    CHECK(r.wait_us(10'000) == AudioReorder::kPollUs);
}
