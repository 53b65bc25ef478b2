// Tests the microphone clean-up end to end through real sound devices: alice's speaker is a
// PulseAudio null sink whose sound comes back into her microphone (module-loopback, 60 ms late,
// 6 dB weaker), as a laptop's speaker into its microphone. Bob talks (espeak-ng speech sent as
// --audio file:); what bob hears of himself in alice's stream is her echo of him: with
// --audio-processing on it must be at least 25 dB weaker than with it off, while alice's own
// voice (other espeak-ng speech played into her microphone) still gets through.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
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

// The speech band (700-3000 Hz, 25 Hz steps): the root of the summed Goertzel powers.
double speech_band(const std::vector<float>& x) {
    double power = 0;
    for (double f = 700; f <= 3000; f += 25) power += std::pow(goertzel(x, f), 2);
    return std::sqrt(power);
}

std::vector<float> last(const std::vector<float>& x, double seconds) {
    const auto n = std::min(x.size(), static_cast<std::size_t>(seconds * 48000));
    return std::vector<float>(x.end() - static_cast<std::ptrdiff_t>(n), x.end());
}

// The speech band of each 250 ms of `x`, sorted: the level bob's voice has in most of them is
// read at the three-quarter mark (his sentence has pauses; a rare spike of residual echo, while
// the canceller follows the loopback's own drift, is not the level one hears).
double loud_level(const std::vector<float>& x) {
    std::vector<double> w;
    for (std::size_t at = 0; at + 12000 <= x.size(); at += 12000)
        w.push_back(speech_band(std::vector<float>(x.begin() + std::ptrdiff_t(at),
                                                   x.begin() + std::ptrdiff_t(at + 12000))));
    if (w.empty()) return 0;
    std::sort(w.begin(), w.end());
    return w[w.size() * 3 / 4];
}

struct EchoResult {
    double echo = 0;    // bob's voice in what bob hears of alice (her echo of him): loud_level
    double echo_total = 0;  // the same over the whole stretch (spikes included), shown
    double speech = 0;  // alice's own voice in it (speech_band)
    nlohmann::json alice_self;
};

// One call: bob talks; alice plays him on alice_spk, which leaks into her microphone. Bob's
// mix (he never hears himself directly) is what alice sends: his voice in it is her echo.
EchoResult echo_call(const PulseServer& pulse, const std::string& bob_speech,
                     const std::string& speech, const std::string& processing) {
    TempDir dir;  // each call its own control sockets and logs
    const std::string tag = "echo-" + processing;
    TestRoom room = make_room(dir, tag, {"alice", "bob"});
    Daemon alice(dir, room, "alice",
                 {"--audio", "mic:alice_micsink.monitor", "--speaker", "alice_spk",
                  "--audio-processing", processing});
    const std::string wav = dir.file(tag + "-bob.wav");
    Daemon bob(dir, room, "bob", {"--audio", "file:" + bob_speech, "--record-mix", wav});
    REQUIRE_MESSAGE(alice.wait_ready(), alice.log_text());
    REQUIRE(bob.wait_ready());
    // Twelve seconds of the call (the canceller has about six to learn the echo), then the last
    // six judged: more than a whole sentence of bob's, whichever part of it they start in.
    REQUIRE(wait_until([&] { return wav_samples(wav).size() >= 12 * 48000; }, 30s));
    EchoResult r;
    r.echo = loud_level(last(wav_samples(wav), 6));
    r.echo_total = speech_band(last(wav_samples(wav), 6));
    // Then alice speaks (into her microphone, beside the echo): her voice must get through.
    const std::size_t before = wav_samples(wav).size();
    auto voice = pulse.play("alice_micsink", speech);
    REQUIRE(wait_until([&] { return wav_samples(wav).size() >= before + 4 * 48000; }, 20s));
    r.speech = speech_band(last(wav_samples(wav), 3));
    r.alice_self = (*alice.status())["self"];
    // Alice really sent sound all along (her microphone's stream is not just silent).
    CHECK(bob.peer("alice").value("audio_frames", 0) > 100);
    return r;
}

}  // namespace

TEST_CASE("echo: bob's sound that alice's speaker leaks into her microphone is 25 dB weaker with "
          "audio processing on") {
    if (!PulseServer::available()) return skip_test("PulseAudio is not installed");
    if (!have_program("espeak-ng")) return skip_test("espeak-ng is not installed");
    TempDir dir;
    PulseServer pulse(dir);
    REQUIRE_MESSAGE(pulse.ok(), read_file(dir.file("pulse/pulseaudio.log")));
    pulse.export_env();
    REQUIRE(pulse.create_null_sink("alice_spk") >= 0);
    REQUIRE(pulse.create_null_sink("alice_micsink") >= 0);
    const int loop = pulse.load_module(
        "module-loopback source=alice_spk.monitor sink=alice_micsink latency_msec=60");
    REQUIRE(loop >= 0);
    // The loopback's sink input (the speaker-to-microphone path) at -6 dB.
    std::string input;
    std::istringstream inputs(pulse.pactl({"list", "short", "sink-inputs"}).out);
    for (std::string line; std::getline(inputs, line);)
        if (line.find("module-loopback") != std::string::npos) input = line.substr(0, line.find('\t'));
    REQUIRE_FALSE(input.empty());
    REQUIRE(pulse.pactl({"set-sink-input-volume", input, "-6dB"}).status == 0);

    const std::string speech = dir.file("speech.wav"), bob_speech = dir.file("bob.wav");
    REQUIRE(run({"espeak-ng", "-s", "150", "-w", speech,
                 "The quick brown fox jumps over the lazy dog, and then it runs back home again."})
                .status == 0);
    REQUIRE(run({"espeak-ng", "-v", "en+m3", "-s", "160", "-w", bob_speech,
                 "Can you hear me now? I am talking from the other side of the call."})
                .status == 0);
    const EchoResult off = echo_call(pulse, bob_speech, speech, "off");
    CHECK(off.alice_self["audio_processing"]["enabled"] == false);
    const EchoResult on = echo_call(pulse, bob_speech, speech, "on");
    INFO(on.alice_self.dump());
    CHECK(on.alice_self["audio_processing"]["enabled"] == true);
    CHECK(on.alice_self["audio_processing"]["name"].is_string());
    CHECK(on.alice_self["speaker"] == "alice_spk");
    CHECK(on.alice_self["microphone"]["state"] == "open");
    const double reduction_db = 20 * std::log10(off.echo / std::max(on.echo, 1e-9));
    const double total_db = 20 * std::log10(off.echo_total / std::max(on.echo_total, 1e-9));
    MESSAGE("bob's echo from alice: " << off.echo << " with processing off, " << on.echo
                                      << " on: " << reduction_db << " dB weaker (" << total_db
                                      << " dB over the whole 6 s); alice's status "
                                      << on.alice_self["audio_processing"].dump());
    CHECK(off.echo > 0.0005);  // the echo path is really there (silence: ~1e-6)
    CHECK(reduction_db >= 25);
    // Alice's voice: cleaned up, not cut (noise suppression and gain may change its level).
    const double voice_db = 20 * std::log10(on.speech / std::max(off.speech, 1e-9));
    MESSAGE("alice's voice: " << off.speech << " with processing off, " << on.speech << " on ("
                              << voice_db << " dB)");
    CHECK(off.speech > 0.002);
    CHECK(voice_db > -12);
}
