// WebRtcProcessor: AudioProcessor on WebRTC's AudioProcessing module (webrtc-audio-processing
// 0.3, the version Debian 12 ships and PulseAudio's module-echo-cancel uses): the echo canceller
// (AEC with the extended filter and delay-agnostic mode, so it finds the echo's delay itself and
// the caller's delay is only a starting hint), noise suppression, adaptive digital gain and the
// high-pass filter, on 10 ms mono blocks at 48 kHz.
//
// Threading: as AudioProcessor — reverse() and process() on one thread (asserted in debug and
// sanitizer builds); stats() from any thread: it reads atomics that process() refreshes every
// half second, so neither side ever waits for the other.
#pragma once

#include <memory>

#include "daemon/audio/audio_processor.hpp"

namespace meshcall {

// How the caller's delay hint becomes the module's stream delay, and the suppression levels.
// The defaults are what the offline bench (bench/aec_bench.cpp, docs/benchmarks.md) measured
// best; the bench varies them.
struct WebRtcTuning {
    // set_stream_delay_ms(hint * delay_scale + delay_offset_ms), clamped to [0, 499]. With the
    // extended filter the module wants about twice the true delay plus a little: an echo 250 ms
    // late given as 250 ms is cancelled by 17 dB, given as 499 ms by 61 dB. For an echo 60 ms
    // late, stream delays of 140-170 ms keep ERLE >= 30 dB even with the clocks 100 ppm apart;
    // 110-130 ms only without drift (23 dB at -100 ppm); 180 ms: 24 dB. 2 x hint + 20 sits at
    // the start of that window, where ERLE is highest (37 dB).
    double delay_scale = 2.0;
    int delay_offset_ms = 20;
    // Re-initialise the module when the hint jumps by more than this (ms; 0: never), so the
    // canceller starts over instead of slowly unlearning the old echo path.
    int reset_on_jump_ms = 40;
    // The AEC's suppression: 0 low, 1 moderate, 2 high.
    int suppression = 1;
    // Noise suppression: 0 low, 1 moderate, 2 high, 3 very high.
    int noise_level = 1;
};

std::unique_ptr<AudioProcessor> make_webrtc_processor(const AudioProcessingOptions& options,
                                                      const WebRtcTuning& tuning = {});

}  // namespace meshcall
