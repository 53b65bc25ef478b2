// Signal helpers of the AEC bench: windowed-sinc resampling, radix-2 FFT convolution, power.
#include "bench/aec/dsp.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace meshcall::aec_bench {
namespace {

constexpr int kHalfTaps = 32;  // the sinc's half length, in input samples (at cutoff 1)

double blackman(double x) {  // x in [-1, 1]
    const double a = std::numbers::pi * (x + 1);
    return 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2 * a);
}

void fft(std::vector<std::complex<double>>& a, bool inverse) {
    const std::size_t n = a.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) std::swap(a[i], a[j]);
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const double angle = 2 * std::numbers::pi / static_cast<double>(len) * (inverse ? 1 : -1);
        const std::complex<double> wlen(std::cos(angle), std::sin(angle));
        for (std::size_t i = 0; i < n; i += len) {
            std::complex<double> w(1);
            for (std::size_t k = 0; k < len / 2; ++k) {
                const auto u = a[i + k], v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= wlen;
            }
        }
    }
    if (inverse)
        for (auto& v : a) v /= static_cast<double>(n);
}

}  // namespace

Signal resample(const Signal& in, double step, std::size_t length) {
    // Cutoff below the lower of the two Nyquist frequencies, a little under it for the window.
    const double cutoff = 0.97 * std::min(1.0, 1.0 / step);
    const double half = kHalfTaps / cutoff;
    // The kernel, tabulated every 1/kTableRes input samples and interpolated linearly.
    constexpr int kTableRes = 512;
    std::vector<double> table(static_cast<std::size_t>(half * kTableRes) + 2);
    for (std::size_t i = 0; i < table.size(); ++i) {
        const double x = static_cast<double>(i) / kTableRes;
        const double arg = std::numbers::pi * cutoff * x;
        const double sinc = i == 0 ? 1.0 : std::sin(arg) / arg;
        table[i] = x >= half ? 0 : cutoff * sinc * blackman(x / half);
    }
    Signal out(length);
    for (std::size_t n = 0; n < length; ++n) {
        const double t = static_cast<double>(n) * step;
        const auto first = std::max(static_cast<long>(std::ceil(t - half)), 0L);
        const auto last =
            std::min(static_cast<long>(std::floor(t + half)), static_cast<long>(in.size()) - 1);
        double sum = 0;
        for (long k = first; k <= last; ++k) {
            const double pos = std::abs(static_cast<double>(k) - t) * kTableRes;
            const auto i = static_cast<std::size_t>(pos);
            if (i + 1 >= table.size()) continue;
            const double frac = pos - static_cast<double>(i);
            sum += in[static_cast<std::size_t>(k)] * (table[i] + frac * (table[i + 1] - table[i]));
        }
        out[n] = static_cast<float>(sum);
    }
    return out;
}

Signal convolve(const Signal& x, const Signal& h) {
    std::size_t n = 1;
    while (n < x.size() + h.size()) n <<= 1;
    std::vector<std::complex<double>> a(n), b(n);
    std::copy(x.begin(), x.end(), a.begin());
    std::copy(h.begin(), h.end(), b.begin());
    fft(a, false);
    fft(b, false);
    for (std::size_t i = 0; i < n; ++i) a[i] *= b[i];
    fft(a, true);
    Signal out(x.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(a[i].real());
    return out;
}

double power(const Signal& in, std::size_t begin, std::size_t end) {
    end = std::min(end, in.size());
    if (begin >= end) return 0;
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i) sum += static_cast<double>(in[i]) * in[i];
    return sum / static_cast<double>(end - begin);
}

double db(double power_ratio) {
    return power_ratio > 1e-20 ? 10 * std::log10(power_ratio) : -200;
}

}  // namespace meshcall::aec_bench
