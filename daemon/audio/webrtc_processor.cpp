// WebRtcProcessor: the microphone's clean-up by WebRTC's AudioProcessing module (0.3).
#include "daemon/audio/webrtc_processor.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include "daemon/util/thread_check.hpp"

namespace meshcall {
namespace {

using webrtc::AudioProcessing;

// The module's statistics are read on the processing thread this often (blocks of 10 ms).
constexpr unsigned long long kStatsEvery = 50;
constexpr int kMaxStreamDelayMs = 499;  // the module refuses more than 500 ms

std::string apm_error(int code) {
    switch (code) {
        case AudioProcessing::kNoError: return "no error";
        case AudioProcessing::kBadParameterError: return "bad parameter";
        case AudioProcessing::kBadSampleRateError: return "bad sample rate";
        case AudioProcessing::kBadNumberChannelsError: return "bad number of channels";
        case AudioProcessing::kNotEnabledError: return "not enabled";
        case AudioProcessing::kStreamParameterNotSetError: return "stream parameter not set";
        default: return "error " + std::to_string(code);
    }
}

void check(int code, const char* what) {
    if (code != AudioProcessing::kNoError)
        throw std::runtime_error(std::string("WebRTC audio processing: ") + what + ": " +
                                 apm_error(code));
}

class WebRtcProcessor final : public AudioProcessor {
  public:
    WebRtcProcessor(const AudioProcessingOptions& options, const WebRtcTuning& tuning)
        : options_(options), tuning_(tuning) {
        webrtc::Config config;
        // The extended filter covers long, reverberant echo paths; delay-agnostic mode finds the
        // echo's delay itself (reported device latencies are rough). The experimental AGC moves
        // the microphone's analogue volume: never here (kAdaptiveDigital below instead).
        config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
        config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
        config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
        apm_.reset(AudioProcessing::Create(config));
        if (!apm_) throw std::runtime_error("WebRTC audio processing: cannot create the module");
        initialize();

        auto* ec = apm_->echo_cancellation();
        if (options_.echo_cancellation) {
            check(ec->enable_drift_compensation(false), "drift compensation");
            static constexpr webrtc::EchoCancellation::SuppressionLevel kLevels[] = {
                webrtc::EchoCancellation::kLowSuppression,
                webrtc::EchoCancellation::kModerateSuppression,
                webrtc::EchoCancellation::kHighSuppression};
            check(ec->set_suppression_level(kLevels[std::clamp(tuning_.suppression, 0, 2)]),
                  "echo suppression level");
            check(ec->enable_metrics(true), "echo metrics");
            check(ec->enable_delay_logging(true), "echo delay logging");
            check(ec->Enable(true), "echo cancellation");
        }
        if (options_.noise_suppression) {
            static constexpr webrtc::NoiseSuppression::Level kLevels[] = {
                webrtc::NoiseSuppression::kLow, webrtc::NoiseSuppression::kModerate,
                webrtc::NoiseSuppression::kHigh, webrtc::NoiseSuppression::kVeryHigh};
            check(apm_->noise_suppression()->set_level(kLevels[std::clamp(tuning_.noise_level, 0, 3)]),
                  "noise suppression level");
            check(apm_->noise_suppression()->Enable(true), "noise suppression");
        }
        if (options_.gain_control) {
            check(apm_->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital),
                  "gain control mode");
            check(apm_->gain_control()->Enable(true), "gain control");
        }
        if (options_.high_pass) check(apm_->high_pass_filter()->Enable(true), "high-pass filter");
    }

    void reverse(std::span<const float> far) override {
        bind_thread();
        if (far.size() != kBlock) return;
        const float* src[] = {far.data()};
        float* dst[] = {reverse_out_.data()};
        // Errors on the media path are not exceptions: a block the module refuses is skipped.
        (void)apm_->ProcessReverseStream(src, stream_, stream_, dst);
        far_blocks_.fetch_add(1, std::memory_order_relaxed);
    }

    void process(std::span<float> near, int delay_ms) override {
        bind_thread();
        if (near.size() != kBlock) return;
        if (options_.echo_cancellation) {
            if (tuning_.reset_on_jump_ms > 0 && last_hint_ >= 0 &&
                std::abs(delay_ms - last_hint_) > tuning_.reset_on_jump_ms)
                initialize();  // a new echo path (another device): start over
            last_hint_ = delay_ms;
            const double mapped = delay_ms * tuning_.delay_scale + tuning_.delay_offset_ms;
            (void)apm_->set_stream_delay_ms(
                std::clamp(static_cast<int>(std::lround(mapped)), 0, kMaxStreamDelayMs));
        }
        float* channels[] = {near.data()};
        (void)apm_->ProcessStream(channels, stream_, stream_, channels);
        const auto n = near_blocks_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (options_.echo_cancellation && n % kStatsEvery == 0) refresh_stats();
    }

    AudioProcessorStats stats() const override {
        AudioProcessorStats s;
        s.erle_db = erle_db_.load(std::memory_order_relaxed);
        s.erle_instant_db = erle_instant_db_.load(std::memory_order_relaxed);
        s.delay_ms = delay_ms_.load(std::memory_order_relaxed);
        s.poor_delays = poor_delays_.load(std::memory_order_relaxed);
        s.far_blocks = far_blocks_.load(std::memory_order_relaxed);
        s.near_blocks = near_blocks_.load(std::memory_order_relaxed);
        return s;
    }

    std::string name() const override { return "webrtc"; }

  private:
    struct ApmDeleter {
        void operator()(AudioProcessing* apm) const { delete apm; }
    };

    void initialize() {
        const webrtc::ProcessingConfig config = {{stream_, stream_, stream_, stream_}};
        check(apm_->Initialize(config), "initialise at 48 kHz mono");
    }

    void bind_thread() {
        if (!thread_bound_) {
            thread_.bind();
            thread_bound_ = true;
        }
        MESHCALL_ASSERT_THREAD(thread_);
    }

    // On the processing thread: GetMetrics and GetDelayMetrics change the module's state (their
    // aggregation windows), so they are never called from stats().
    void refresh_stats() {
        auto* ec = apm_->echo_cancellation();
        webrtc::EchoCancellation::Metrics metrics;
        if (ec->GetMetrics(&metrics) == AudioProcessing::kNoError) {
            // The module reports -100 dB until it has a value.
            // Its average needs several seconds of far-end speech (8 s in the bench); until
            // then the average reported is the mean of the instant values seen.
            const auto& erle = metrics.echo_return_loss_enhancement;
            if (erle.instant > -100) {
                erle_instant_db_.store(erle.instant, std::memory_order_relaxed);
                instant_sum_ += erle.instant;
                ++instant_count_;
            }
            if (erle.average > -100)
                erle_db_.store(erle.average, std::memory_order_relaxed);
            else if (instant_count_ > 0)
                erle_db_.store(instant_sum_ / instant_count_, std::memory_order_relaxed);
        }
        int median = -1, deviation = -1;
        float poor = -1;
        if (ec->GetDelayMetrics(&median, &deviation, &poor) == AudioProcessing::kNoError &&
            median >= 0) {
            delay_ms_.store(median, std::memory_order_relaxed);
            poor_delays_.store(poor, std::memory_order_relaxed);
        }
    }

    const AudioProcessingOptions options_;
    const WebRtcTuning tuning_;
    const webrtc::StreamConfig stream_{kRate, 1, false};
    std::unique_ptr<AudioProcessing, ApmDeleter> apm_;
    std::array<float, kBlock> reverse_out_{};  // the module's copy of the far end (unused)
    ThreadCheck thread_;
    bool thread_bound_ = false;
    int last_hint_ = -1;
    double instant_sum_ = 0;  // of the module's instant ERLE values, until it has an average
    int instant_count_ = 0;

    std::atomic<double> erle_db_{-1}, erle_instant_db_{-1}, poor_delays_{-1};
    std::atomic<int> delay_ms_{-1};
    std::atomic<unsigned long long> far_blocks_{0}, near_blocks_{0};
};

}  // namespace

std::unique_ptr<AudioProcessor> make_webrtc_processor(const AudioProcessingOptions& options,
                                                      const WebRtcTuning& tuning) {
    return std::make_unique<WebRtcProcessor>(options, tuning);
}

std::unique_ptr<AudioProcessor> make_audio_processor(const AudioProcessingOptions& options) {
    return make_webrtc_processor(options);
}

}  // namespace meshcall
