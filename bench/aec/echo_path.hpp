// The echo path of the AEC bench: what the microphone hears of the speaker — a delay, a room's
// response (a direct path and an exponentially decaying tail that falls 60 dB in RT60), scaled
// to an echo return loss (far power / echo power, 6 dB by default), optionally with the two
// sound cards' clocks apart by some ppm (the echo resampled).
#pragma once

#include <cstdint>

#include "bench/aec/dsp.hpp"

namespace meshcall::aec_bench {

struct EchoPath {
    int delay_ms = 60;
    double rt60_s = 0.3;
    double echo_return_loss_db = 6;
    std::uint32_t seed = 1;  // of the tail's noise: another seed is another room position
};

// The impulse response at 48 kHz, delay included.
Signal room_response(const EchoPath& path);

// `far` through `path`; with `drift_ppm`, the microphone's clock runs that much faster than the
// speaker's (the echo is stretched by 1 + drift_ppm 1e-6). Length: far.size().
Signal echo_of(const Signal& far, const EchoPath& path, double drift_ppm = 0);

// Deterministic white noise at `level_dbfs` RMS.
Signal white_noise(std::size_t length, double level_dbfs, std::uint32_t seed);

}  // namespace meshcall::aec_bench
