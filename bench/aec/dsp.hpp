// Signal helpers of the AEC bench: band-limited resampling, FFT convolution, power in dB.
// Plain functions on whole signals (the bench is offline); nothing here is real-time.
#pragma once

#include <cstddef>
#include <vector>

namespace meshcall::aec_bench {

using Signal = std::vector<float>;

// Output sample n is the input at position n * step (in input samples), band-limited by a
// windowed sinc: step < 1 stretches (upsamples), step > 1 shrinks. `length` output samples.
Signal resample(const Signal& in, double step, std::size_t length);

// Full linear convolution of `x` with `h` (FFT), truncated to x.size() samples.
Signal convolve(const Signal& x, const Signal& h);

// Mean square of in[begin, end) (clamped to the signal).
double power(const Signal& in, std::size_t begin, std::size_t end);
double db(double power_ratio);  // 10 log10, with a floor at -200 dB

}  // namespace meshcall::aec_bench
