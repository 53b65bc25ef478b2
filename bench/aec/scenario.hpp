// AEC bench scenarios: a far talker played through an echo path into the microphone, then both
// talking (double talk), then the near talker alone; run through an AudioProcessor in 10 ms
// blocks, as the microphone's capture thread runs it, and judged.
//
// Timeline of one scenario (seconds):  [0, far_only)           far alone: ERLE
//                                      [far_only, +double_talk) both: near-end level change
//                                      [.., +near_only)         near alone: near-end level change
//
// The measures (docs/benchmarks.md, "Echo cancellation"):
// - ERLE = 10 log10(power of the echo in the microphone / power of the output) over far-alone
//   windows: 0.5 s windows centred at 0.5, 1 and 2 s after the start (or after the echo path
//   changed), "after 2 s" from 2 s to the end of far-alone, "steady" the last 3 s of far-alone.
//   The microphone also carries a -75 dBFS noise floor, so the output never falls to nothing.
// - Near-end level change = 10 log10(output power / reference power) over the double-talk
//   segment and the near-alone one from 1 s after the far end stopped (its echo gone), where the reference is the same processing's output for the same
//   microphone minus the echo (near talker and noise, far end silent). 0 dB: the canceller left
//   the near talker alone; negative: it cut them. Residual echo in the output counts as near-end
//   power, but at the ERLE measured it is 25 dB or more below the near talker.
// Gain control is off in these runs: it changes levels by itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/aec/dsp.hpp"
#include "bench/aec/echo_path.hpp"
#include "daemon/audio/audio_processor.hpp"
#include "daemon/audio/webrtc_processor.hpp"

namespace meshcall::aec_bench {

struct Scenario {
    std::string name;
    EchoPath path;
    double drift_ppm = 0;
    std::optional<EchoPath> changed_path;  // the echo path from change_at_s on
    double change_at_s = 0;
    double far_only_s = 8, double_talk_s = 3, near_only_s = 3;
    double total_s() const { return far_only_s + double_talk_s + near_only_s; }
};

// d60-rt0.3, d250-rt0.3, d60-rt0.6, d250-rt0.6, drift+100ppm, drift-100ppm, path-change.
std::vector<Scenario> standard_scenarios();

// The two talkers at 48 kHz, synthesised on first use (espeak-ng) and kept for the process.
struct Talkers {
    Signal far, near;  // far: -20 dBFS active; near: -20 dBFS active
};
const Talkers& talkers();

// The signals of a scenario, before processing.
struct ScenarioSignals {
    Signal far;   // what the speaker plays
    Signal echo;  // its echo in the microphone
    Signal near;  // the near talker and the noise floor, as the microphone hears them
    Signal mic() const;
};
ScenarioSignals make_signals(const Scenario& scenario);

// `mic` through `processor` with `far` as the far end, 10 ms at a time (reverse, then process
// with `hint_ms`). Returns the output; `cpu_seconds` gets the thread's CPU time in the calls.
Signal run_processor(AudioProcessor& processor, const Signal& far, const Signal& mic, int hint_ms,
                     double* cpu_seconds = nullptr);

struct RunOptions {
    AudioProcessingOptions processing{.gain_control = false};
    WebRtcTuning tuning;
    int hint_ms = -1;  // the delay hint given to process(); -1: the echo path's true delay
};

struct ScenarioResult {
    std::string name;
    double erle_05_db = 0, erle_1_db = 0, erle_2_db = 0;  // 0.5 s windows at 0.5, 1, 2 s
    double erle_after_2s_db = 0, erle_steady_db = 0;
    double near_double_talk_db = 0, near_alone_db = 0;
    double cpu_percent = 0;  // CPU time per second of audio, % of one core
    AudioProcessorStats stats;  // the processor's own report at the end
};
ScenarioResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace meshcall::aec_bench
