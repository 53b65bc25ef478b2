// The echo path of the AEC bench: delay + decaying room response + echo return loss + drift.
#include "bench/aec/echo_path.hpp"

#include <cmath>
#include <numbers>

namespace meshcall::aec_bench {
namespace {

constexpr int kRate = 48000;

// xorshift32 and Box-Muller: the same numbers with every standard library.
class Gaussian {
  public:
    explicit Gaussian(std::uint32_t seed) : state_(seed ? seed : 1) {}
    double operator()() {
        const double u1 = (next() + 1.0) / 4294967297.0, u2 = next() / 4294967296.0;
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }

  private:
    std::uint32_t next() {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return state_;
    }
    std::uint32_t state_;
};

}  // namespace

Signal room_response(const EchoPath& path) {
    const auto delay = static_cast<std::size_t>(path.delay_ms) * kRate / 1000;
    const auto tail = static_cast<std::size_t>(path.rt60_s * kRate);
    Signal h(delay + tail + 1, 0.f);
    Gaussian gauss(path.seed);
    // The tail: noise under an envelope falling 60 dB over RT60, starting 1 ms after the direct
    // path, with as much energy as the direct path (a speaker a metre or so from the microphone).
    const std::size_t gap = kRate / 1000;
    double tail_energy = 0;
    for (std::size_t n = gap; n <= tail; ++n) {
        const double envelope = std::pow(10.0, -3.0 * static_cast<double>(n) / static_cast<double>(tail));
        const double v = gauss() * envelope;
        h[delay + n] = static_cast<float>(v);
        tail_energy += v * v;
    }
    for (std::size_t n = gap; n <= tail; ++n) h[delay + n] /= static_cast<float>(std::sqrt(tail_energy));
    h[delay] = 1.f;
    // Energy 2 now; scaled to the echo return loss.
    const double scale = std::sqrt(std::pow(10.0, -path.echo_return_loss_db / 10) / 2);
    for (auto& v : h) v = static_cast<float>(v * scale);
    return h;
}

Signal echo_of(const Signal& far, const EchoPath& path, double drift_ppm) {
    Signal echo = convolve(far, room_response(path));
    if (drift_ppm == 0) return echo;
    return resample(echo, 1.0 / (1.0 + drift_ppm * 1e-6), echo.size());
}

Signal white_noise(std::size_t length, double level_dbfs, std::uint32_t seed) {
    Gaussian gauss(seed);
    const double rms = std::pow(10.0, level_dbfs / 20);
    Signal out(length);
    for (auto& v : out) v = static_cast<float>(gauss() * rms);
    return out;
}

}  // namespace meshcall::aec_bench
