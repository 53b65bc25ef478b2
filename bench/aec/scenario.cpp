// AEC bench scenarios: signals built, run through the processor, ERLE and near-end loss judged.
#include "bench/aec/scenario.hpp"

#include <time.h>

#include <algorithm>

#include "bench/aec/speech.hpp"

namespace meshcall::aec_bench {
namespace {

constexpr int kRate = AudioProcessor::kRate;
constexpr std::size_t kBlock = AudioProcessor::kBlock;
constexpr double kNoiseDbfs = -75;
constexpr double kTalkerDbfs = -20;

std::size_t at(double seconds) { return static_cast<std::size_t>(seconds * kRate); }

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

std::vector<Scenario> standard_scenarios() {
    std::vector<Scenario> all = {
        {.name = "d60-rt0.3", .path = {.delay_ms = 60, .rt60_s = 0.3}},
        {.name = "d250-rt0.3", .path = {.delay_ms = 250, .rt60_s = 0.3}},
        {.name = "d60-rt0.6", .path = {.delay_ms = 60, .rt60_s = 0.6}},
        {.name = "d250-rt0.6", .path = {.delay_ms = 250, .rt60_s = 0.6}},
        {.name = "drift+100ppm", .path = {.delay_ms = 60, .rt60_s = 0.3}, .drift_ppm = 100},
        {.name = "drift-100ppm", .path = {.delay_ms = 60, .rt60_s = 0.3}, .drift_ppm = -100},
        // Someone moves the laptop: another room response, the echo 20 ms later, at 3 s.
        {.name = "path-change",
         .path = {.delay_ms = 60, .rt60_s = 0.3},
         .changed_path = EchoPath{.delay_ms = 80, .rt60_s = 0.3, .seed = 2},
         .change_at_s = 3},
    };
    return all;
}

const Talkers& talkers() {
    static const Talkers t = [] {
        // Long enough for every timeline (14 s).
        return Talkers{synthesise(far_talker(), 20, kTalkerDbfs),
                       synthesise(near_talker(), 10, kTalkerDbfs)};
    }();
    return t;
}

Signal ScenarioSignals::mic() const {
    Signal m(echo.size());
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = echo[i] + near[i];
    return m;
}

ScenarioSignals make_signals(const Scenario& s) {
    const auto& t = talkers();
    const std::size_t total = at(s.total_s()) / kBlock * kBlock;
    const std::size_t far_end = at(s.far_only_s + s.double_talk_s);
    const std::size_t near_begin = at(s.far_only_s);
    ScenarioSignals out;
    out.far.assign(total, 0.f);
    std::copy_n(t.far.begin(), std::min({far_end, total, t.far.size()}), out.far.begin());
    out.echo = echo_of(out.far, s.path, s.drift_ppm);
    if (s.changed_path) {
        const Signal after = echo_of(out.far, *s.changed_path, s.drift_ppm);
        std::copy(after.begin() + static_cast<long>(at(s.change_at_s)), after.end(),
                  out.echo.begin() + static_cast<long>(at(s.change_at_s)));
    }
    out.near = white_noise(total, kNoiseDbfs, 7);
    for (std::size_t i = near_begin, j = 0; i < total && j < t.near.size(); ++i, ++j)
        out.near[i] += t.near[j];
    return out;
}

Signal run_processor(AudioProcessor& processor, const Signal& far, const Signal& mic, int hint_ms,
                     double* cpu_seconds) {
    Signal out(mic.size(), 0.f);
    std::vector<float> block(kBlock);
    double cpu = 0;
    for (std::size_t i = 0; i + kBlock <= mic.size(); i += kBlock) {
        std::copy_n(mic.begin() + static_cast<long>(i), kBlock, block.begin());
        const double start = thread_cpu_seconds();
        processor.reverse(std::span<const float>(far.data() + i, kBlock));
        processor.process(block, hint_ms);
        cpu += thread_cpu_seconds() - start;
        std::copy(block.begin(), block.end(), out.begin() + static_cast<long>(i));
    }
    if (cpu_seconds) *cpu_seconds = cpu;
    return out;
}

ScenarioResult run_scenario(const Scenario& s, const RunOptions& options) {
    const ScenarioSignals sig = make_signals(s);
    const int hint = options.hint_ms >= 0 ? options.hint_ms : s.path.delay_ms;

    auto processor = make_webrtc_processor(options.processing, options.tuning);
    double cpu = 0;
    const Signal out = run_processor(*processor, sig.far, sig.mic(), hint, &cpu);
    // The reference: the same processing, the same microphone without the echo, no far end.
    auto reference_processor = make_webrtc_processor(options.processing, options.tuning);
    const Signal silence(sig.far.size(), 0.f);
    const Signal reference = run_processor(*reference_processor, silence, sig.near, hint);

    ScenarioResult r;
    r.name = s.name;
    auto erle = [&](double from_s, double to_s) {
        return db(power(sig.echo, at(from_s), at(to_s)) / power(out, at(from_s), at(to_s)));
    };
    const double start = s.changed_path ? s.change_at_s : 0;
    r.erle_05_db = erle(start + 0.25, start + 0.75);
    r.erle_1_db = erle(start + 0.75, start + 1.25);
    r.erle_2_db = erle(start + 1.75, start + 2.25);
    r.erle_after_2s_db = erle(start + 2, s.far_only_s);
    r.erle_steady_db = erle(s.far_only_s - 3, s.far_only_s);
    auto near_change = [&](double from_s, double to_s) {
        return db(power(out, at(from_s), at(to_s)) / power(reference, at(from_s), at(to_s)));
    };
    r.near_double_talk_db = near_change(s.far_only_s, s.far_only_s + s.double_talk_s);
    // From 1 s after the far end stopped: by then its echo has died away (250 ms + RT60 0.6 s).
    r.near_alone_db = near_change(s.far_only_s + s.double_talk_s + 1, s.total_s());
    r.cpu_percent = 100 * cpu / (static_cast<double>(out.size()) / kRate);
    r.stats = processor->stats();
    return r;
}

}  // namespace meshcall::aec_bench
