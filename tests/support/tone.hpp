// Test support: how much of a tone a block of 48 kHz sound holds (the Goertzel filter), for
// tests that find each peer's tone in a mix or a recording.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace meshcall::test {

// The amplitude-like magnitude of `frequency` Hz in `x` (48 kHz), normalised by its length.
inline double goertzel(const std::vector<float>& x, double frequency) {
    const double w = 2 * M_PI * frequency / 48000, c = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (float v : x) {
        const double s = v + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return std::sqrt(std::max(0.0, s1 * s1 + s2 * s2 - c * s1 * s2)) / double(x.size());
}

}  // namespace meshcall::test
