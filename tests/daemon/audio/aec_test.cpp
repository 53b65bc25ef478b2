// Tests daemon/audio/webrtc_processor (make_audio_processor) on the AEC bench's synthetic calls
// (bench/aec/scenario.hpp: espeak-ng talkers, a room's echo path, clock drift, a path change):
// issue 16's floors — ERLE >= 30 dB from 2 s on (after a change of the echo path or device), the
// near talker cut by no more than 6 dB in double talk and by no more than 1 dB alone — the
// canceller's own report, and the echo left in when echo cancellation is off (so a broken
// canceller, not only a weak one, fails here).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "bench/aec/scenario.hpp"
#include "daemon/audio/audio_processor.hpp"

using namespace meshcall;
using namespace meshcall::aec_bench;

namespace {

Scenario scenario(const std::string& name) {
    for (const auto& s : standard_scenarios())
        if (s.name == name) return s;
    FAIL("no scenario " << name);
    return {};
}

// The floors every scenario keeps: ERLE from 2 s on (after the change, for path-change), the
// near talker in double talk and alone.
ScenarioResult check_floors(const std::string& name) {
    const ScenarioResult r = run_scenario(scenario(name));
    INFO(name << ": ERLE 0.5 s " << r.erle_05_db << " dB, 1 s " << r.erle_1_db << ", 2 s "
              << r.erle_2_db << ", after 2 s " << r.erle_after_2s_db << ", steady "
              << r.erle_steady_db << "; near in double talk " << r.near_double_talk_db
              << " dB, alone " << r.near_alone_db << " dB; CPU " << r.cpu_percent << " %");
    CHECK(r.erle_after_2s_db >= 30);
    CHECK(r.erle_steady_db >= 30);
    CHECK(r.near_double_talk_db >= -6);
    CHECK(r.near_alone_db >= -1);
    MESSAGE(name << ": ERLE after 2 s " << r.erle_after_2s_db << " dB, steady " << r.erle_steady_db
                 << " dB, near " << r.near_double_talk_db << " / " << r.near_alone_db << " dB");
    return r;
}

}  // namespace

TEST_CASE(
    "echo of 60 and 250 ms in a room of RT60 0.3 s: ERLE at least 30 dB from 2 s, near end kept") {
    check_floors("d60-rt0.3");
    check_floors("d250-rt0.3");
}

TEST_CASE(
    "echo of 60 and 250 ms in a room of RT60 0.6 s: ERLE at least 30 dB from 2 s, near end kept") {
    check_floors("d60-rt0.6");
    check_floors("d250-rt0.6");
}

TEST_CASE("clocks 100 ppm apart either way: ERLE at least 30 dB from 2 s, near end kept") {
    check_floors("drift+100ppm");
    check_floors("drift-100ppm");
}

TEST_CASE("the echo path changes mid-call: ERLE at least 30 dB again 2 s after the change") {
    check_floors("path-change");
}

TEST_CASE(
    "the devices change mid-call (echo 60 to 200 ms, the hint following): ERLE at least 30 dB 2 s "
    "on") {
    // The hint's jump starts the canceller over; without that it stays near 17 dB.
    check_floors("device-change");
}

TEST_CASE("the canceller reports its ERLE and the echo's delay once it has run") {
    const ScenarioResult r = run_scenario(scenario("d250-rt0.3"));
    INFO("stats: ERLE " << r.stats.erle_db << " dB, delay " << r.stats.delay_ms << " ms, poor "
                        << r.stats.poor_delays);
    CHECK(r.stats.erle_db > 10);
    CHECK(r.stats.delay_ms >= 0);
    CHECK(r.stats.poor_delays >= 0);
    CHECK(r.stats.poor_delays <= 1);
    const auto blocks = static_cast<unsigned long long>(scenario("d250-rt0.3").total_s() * 100);
    CHECK(r.stats.far_blocks == blocks);
    CHECK(r.stats.near_blocks == blocks);
    // A processor that has not run reports nothing yet.
    const auto fresh = make_audio_processor({})->stats();
    CHECK(fresh.erle_db == -1);
    CHECK(fresh.delay_ms == -1);
    CHECK(fresh.near_blocks == 0);
}

TEST_CASE("stats() is read from another thread while the capture thread processes") {
    const Scenario s = scenario("d60-rt0.3");
    const ScenarioSignals sig = make_signals(s);
    auto processor = make_audio_processor({});
    std::atomic<bool> done{false};
    unsigned long long seen = 0;
    bool monotonic = true;
    std::thread reader([&] {
        while (!done.load()) {
            const auto st = processor->stats();
            if (st.near_blocks < seen) monotonic = false;
            seen = st.near_blocks;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    std::thread capture([&] { run_processor(*processor, sig.far, sig.mic(), s.path.delay_ms); });
    capture.join();
    done = true;
    reader.join();
    CHECK(monotonic);
    CHECK(processor->stats().near_blocks == sig.far.size() / AudioProcessor::kBlock);
    CHECK(processor->stats().erle_db > 10);
}

TEST_CASE("with echo cancellation off the echo stays (ERLE under 10 dB)") {
    RunOptions off;
    off.processing.echo_cancellation = false;
    const ScenarioResult r = run_scenario(scenario("d60-rt0.3"), off);
    INFO("ERLE after 2 s " << r.erle_after_2s_db << " dB, steady " << r.erle_steady_db << " dB");
    CHECK(r.erle_after_2s_db < 10);
    CHECK(r.erle_steady_db < 10);
    CHECK(r.stats.erle_db == -1);  // no canceller, no report
}
