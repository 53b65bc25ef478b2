// Tests real sound devices through a private PulseAudio server (tests/support/pulse_server):
// the server itself, meshcalld's --speaker and --audio mic:NAME, a microphone that goes away
// and comes back, and `meshcall devices`.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/pulse_server.hpp"
#include "tests/support/test_room.hpp"
#include "tests/support/tone.hpp"

using namespace std::chrono_literals;
using namespace meshcall::test;

namespace {

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The tone's magnitude in the last `seconds` of `x` (48 kHz), 0 if shorter.
double tone_in(const std::vector<float>& x, double hz, double seconds) {
    const auto n = static_cast<std::size_t>(seconds * 48000);
    if (x.size() < n) return 0;
    return goertzel(std::vector<float>(x.end() - static_cast<std::ptrdiff_t>(n), x.end()), hz);
}

// The samples of a 16-bit mono WAV that may still be growing (WavRecorder's header says
// "unknown size" while recording): everything after the "data" chunk's header.
std::vector<float> wav_samples(const std::string& path) {
    const std::string b = read_file(path);
    std::vector<float> out;
    for (std::size_t at = 12; at + 8 <= b.size();) {
        const uint32_t size = uint32_t(uint8_t(b[at + 4])) | uint32_t(uint8_t(b[at + 5])) << 8 |
                              uint32_t(uint8_t(b[at + 6])) << 16 |
                              uint32_t(uint8_t(b[at + 7])) << 24;
        if (b.compare(at, 4, "data") == 0) {
            for (std::size_t i = at + 8; i + 1 < b.size(); i += 2)
                out.push_back(float(int16_t(uint8_t(b[i]) | uint8_t(b[i + 1]) << 8)) / 32768.f);
            break;
        }
        at += 8 + size + (size & 1);
    }
    return out;
}

double wav_tone(const std::string& path, double hz, double seconds) {
    return tone_in(wav_samples(path), hz, seconds);
}

// A private PulseAudio server whose address every child of this test inherits.
struct Sound {
    TempDir dir;
    PulseServer pulse{dir};
    Sound() {
        REQUIRE_MESSAGE(pulse.ok(), read_file(dir.file("pulse/pulseaudio.log")));
        pulse.export_env();
    }
};

constexpr double kMicHz = 1000;  // no participant's test tone (300 + 110 k Hz)

}  // namespace

TEST_CASE("pulse server: its own daemon, null sinks, and a source recorded") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    TempDir dir;
    PulseServer pulse(dir);
    REQUIRE_MESSAGE(pulse.ok(), read_file(dir.file("pulse/pulseaudio.log")));
    const int sink = pulse.create_null_sink("testsink");
    REQUIRE(sink >= 0);
    CHECK(has(pulse.sinks(), "testsink"));
    CHECK(has(pulse.sources(), "testsink.monitor"));
    const int sine = pulse.load_module("module-sine-source source_name=sine frequency=1000 rate=48000");
    REQUIRE(sine >= 0);
    const std::vector<float> heard = pulse.record("sine", 1.0);
    REQUIRE(heard.size() > 24000);
    const double tone = tone_in(heard, 1000, 0.5), other = tone_in(heard, 1400, 0.5);
    MESSAGE("1000 Hz: " << tone << ", 1400 Hz: " << other);
    CHECK(tone > 0.1);
    CHECK(other < tone / 100);
    CHECK(pulse.unload_module(sink));
    CHECK(pulse.wait_for_source("testsink.monitor", false));
    CHECK(pulse.unload_module(sine));
    CHECK(pulse.wait_for_source("sine", false));
}
