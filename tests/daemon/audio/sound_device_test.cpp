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
#include "tests/support/wav_samples.hpp"
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

TEST_CASE("meshcall devices --json lists the microphones, speakers and cameras") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    Sound s;
    REQUIRE(s.pulse.create_null_sink("desk_speaker") >= 0);
    REQUIRE(s.pulse.load_module("module-null-source source_name=desk_mic") >= 0);
    const RunResult r = run({MESHCALL_BIN, "devices", "--json"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    std::vector<std::string> mics, speakers;
    for (const auto& m : j["microphones"]) mics.push_back(m["name"]);
    for (const auto& m : j["speakers"]) speakers.push_back(m["name"]);
    CHECK(has(mics, "desk_mic"));
    CHECK_FALSE(has(mics, "desk_speaker.monitor"));  // a monitor is no microphone
    CHECK(has(speakers, "desk_speaker"));
    CHECK(j["cameras"].is_array());
    CHECK(j["sound_error"].is_null());
    const RunResult table = run({MESHCALL_BIN, "devices"});
    CHECK(table.status == 0);
    CHECK(table.out.find("desk_mic") != std::string::npos);
    CHECK(table.out.find("desk_speaker") != std::string::npos);

    // No server: said clearly, and the status says so.
    const RunResult none = run({MESHCALL_BIN, "devices", "--json"}, 20s,
                               {"PULSE_SERVER=unix:" + s.dir.file("nothing-here")});
    INFO(none.out << none.err);
    CHECK(none.status == 1);
    CHECK(none.err.find("no sound server is reachable") != std::string::npos);
    CHECK(nlohmann::json::parse(none.out)["sound_error"].is_string());
}

TEST_CASE("meshcalld --speaker NAME plays a peer's sound on that PulseAudio sink") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    Sound s;
    REQUIRE(s.pulse.create_null_sink("bob_speaker") >= 0);
    TestRoom room = make_room(s.dir, "speaker", {"alice", "bob"});
    Daemon alice(s.dir, room, "alice");  // sends its tone: 300 Hz (peer 0)
    Daemon bob(s.dir, room, "bob", {"--audio", "none", "--speaker", "bob_speaker"});
    REQUIRE(alice.wait_ready());
    REQUIRE_MESSAGE(bob.wait_ready(), bob.log_text());
    REQUIRE(wait_until([&] { return bob.peer("alice").value("audio_frames", 0) > 50; }, 10s));
    const auto self = (*bob.status())["self"];
    CHECK(self["speaker"] == "bob_speaker");
    CHECK(self["microphone"].is_null());
    // What the sink plays: alice's tone, clearly above any other.
    const std::vector<float> heard = s.pulse.record("bob_speaker.monitor", 1.5);
    const double tone = tone_in(heard, 300, 1.0), other = tone_in(heard, 410, 1.0);
    MESSAGE("bob_speaker plays 300 Hz at " << tone << ", 410 Hz at " << other);
    CHECK(tone > 0.02);
    CHECK(other < tone / 10);
}

TEST_CASE("meshcalld --speaker with a sink that does not exist: exit 1, naming it") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    Sound s;
    TestRoom room = make_room(s.dir, "nospeaker", {"alice", "bob"});
    Daemon bob(s.dir, room, "bob", {"--speaker", "no_such_sink"});
    CHECK(bob.process().wait(20s) == 1);
    const std::string log = bob.log_text();
    INFO(log);
    CHECK(log.find("\"no_such_sink\": no such PulseAudio sink") != std::string::npos);
}

TEST_CASE("meshcalld --audio mic:NAME sends that PulseAudio source's sound to the peers") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    Sound s;
    REQUIRE(s.pulse.create_null_sink("micsink") >= 0);
    write_tone_wav(s.dir.file("mic.wav"), kMicHz, 60, 0.3);
    auto voice = s.pulse.play("micsink", s.dir.file("mic.wav"));
    TestRoom room = make_room(s.dir, "mic", {"alice", "bob"});
    Daemon alice(s.dir, room, "alice", {"--audio", "mic:micsink.monitor"});
    Daemon bob(s.dir, room, "bob", {"--audio", "none", "--record-mix", s.dir.file("bob.wav")});
    REQUIRE_MESSAGE(alice.wait_ready(), alice.log_text());
    REQUIRE(bob.wait_ready());
    const auto self = (*alice.status())["self"];
    INFO(self.dump());
    CHECK(self["microphone"]["name"] == "micsink.monitor");
    CHECK(self["microphone"]["state"] == "open");
    CHECK(self["audio_processing"]["enabled"] == true);  // the default for a microphone
    double tone = 0;
    CHECK(wait_until(
        [&] {
            tone = wav_tone(s.dir.file("bob.wav"), kMicHz, 0.5);
            return tone > 0.02;
        },
        10s));
    MESSAGE("bob hears alice's microphone: " << kMicHz << " Hz at " << tone);
    CHECK(wav_tone(s.dir.file("bob.wav"), 300, 0.5) < tone / 10);  // not her test tone
}

TEST_CASE("a microphone that goes away mid-call: the call goes on, and its sound comes back") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    Sound s;
    int mic = s.pulse.create_null_sink("micsink");
    REQUIRE(mic >= 0);
    write_tone_wav(s.dir.file("mic.wav"), kMicHz, 60, 0.3);
    auto voice = s.pulse.play("micsink", s.dir.file("mic.wav"));
    TestRoom room = make_room(s.dir, "miclost", {"alice", "bob"});
    Daemon alice(s.dir, room, "alice", {"--audio", "mic:micsink.monitor"});
    Daemon bob(s.dir, room, "bob", {"--audio", "none", "--record-mix", s.dir.file("bob.wav")});
    REQUIRE_MESSAGE(alice.wait_ready(), alice.log_text());
    REQUIRE(bob.wait_ready());
    auto mic_state = [&] {
        const auto st = alice.status();
        return st ? (*st)["self"]["microphone"].value("state", std::string()) : std::string();
    };
    REQUIRE(wait_until([&] { return wav_tone(s.dir.file("bob.wav"), kMicHz, 0.5) > 0.02; }, 10s));

    // Unplugged: alice says so, goes on sending pictures, and bob hears no more of the tone.
    voice.reset();
    REQUIRE(s.pulse.unload_module(mic));
    CHECK(wait_until([&] { return mic_state() == "lost"; }, 5s));
    const int frames = bob.peer("alice").value("video_frames", 0);
    CHECK(wait_until([&] { return bob.peer("alice").value("video_frames", 0) > frames + 20; }, 5s));
    CHECK(alice.process().running());
    CHECK(wait_until([&] { return wav_tone(s.dir.file("bob.wav"), kMicHz, 0.5) < 0.002; }, 5s));

    // Plugged in again: found within a few seconds, and the tone comes back.
    mic = s.pulse.create_null_sink("micsink");
    REQUIRE(mic >= 0);
    voice = s.pulse.play("micsink", s.dir.file("mic.wav"));
    CHECK(wait_until([&] { return mic_state() == "open"; }, 5s));
    CHECK(wait_until([&] { return wav_tone(s.dir.file("bob.wav"), kMicHz, 0.5) > 0.02; }, 10s));
    const std::string log = alice.log_text();
    INFO(log);
    std::size_t lost_lines = 0;
    for (std::size_t at = 0; (at = log.find(": lost (", at)) != std::string::npos; ++at)
        ++lost_lines;
    CHECK(lost_lines == 1);  // logged once, not once per retry
}
