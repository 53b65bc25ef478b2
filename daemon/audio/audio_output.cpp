// AudioOutput: SDL audio device, WAV recording, headless pacing.
#include "daemon/audio/audio_output.hpp"

#include <chrono>
#include <exception>

#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

namespace meshcall {

namespace {
constexpr std::size_t kBlock = 960;  // 20 ms
}  // namespace

AudioOutput::AudioOutput(AudioMixer& mixer, bool device, const std::string& record_path,
                         PlayoutClock* playout, const std::string& speaker, FarEnd* far_end)
    : mixer_(mixer), playout_(playout), far_end_(far_end) {
    if (!record_path.empty()) {
        try {
            recorder_ = std::make_unique<WavRecorder>(record_path);
        } catch (const std::exception& e) {
            spdlog::warn("cannot write the recording {}: {}", record_path, e.what());
        }
    }
    if (!speaker.empty()) {
        speaker_ = std::make_unique<PulseSpeaker>(
            speaker, [this](float* out, std::size_t n) { pull(out, n); }, playout_);
    } else if (device) {
        int64_t latency_us = 0;
        if (SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
            sdl_audio_ = true;
            SDL_AudioSpec want{}, have{};
            want.freq = AudioMixer::kRate;
            want.format = AUDIO_F32SYS;
            want.channels = 1;
            want.samples = 512;  // ~10 ms
            want.callback = &AudioOutput::on_device;
            want.userdata = this;
            device_ =
                SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);  // SDL converts for the device
            // What SDL and the sound server buffer: about two of the device's periods.
            latency_us = int64_t{2} * have.samples * 1'000'000 / have.freq;
        }
        if (device_ == 0) {
            spdlog::warn("no sound device ({}); the call goes on without sound", SDL_GetError());
        } else {
            if (playout_) playout_->set_output_latency_us(latency_us);
            SDL_PauseAudioDevice(device_, 0);
        }
    }
    if (device_ == 0 && !speaker_ && recorder_) {
        far_end_ = nullptr;  // a recording has no echo
        if (playout_) playout_->set_output_latency_us(int64_t{kBlock} * 1'000'000 / AudioMixer::kRate);
        sink_ = std::thread([this] { run_thread("audio-sink", [this] { run_sink(); }); });
    }
}

AudioOutput::~AudioOutput() {
    speaker_.reset();  // its thread stops telling the clock
    if (playout_) playout_->clear();
    stop_ = true;
    if (sink_.joinable()) sink_.join();
    if (device_) SDL_CloseAudioDevice(device_);
    if (sdl_audio_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
    recorder_.reset();  // the audio thread is gone: write the rest, the trailer, close
}

void AudioOutput::on_device(void* self, Uint8* stream, int len) {
    static_cast<AudioOutput*>(self)->pull(reinterpret_cast<float*>(stream),
                                          static_cast<std::size_t>(len) / sizeof(float));
}

void AudioOutput::pull(float* out, std::size_t n) {
    mixer_.mix({out, n});
    if (recorder_) recorder_->push({out, n});
    if (far_end_) far_end_->push({out, n});
}

void AudioOutput::run_sink() {
    std::vector<float> block(kBlock);
    auto next = std::chrono::steady_clock::now();
    while (!stop_) {
        next += std::chrono::milliseconds(20);
        std::this_thread::sleep_until(next);
        pull(block.data(), block.size());
    }
}

}  // namespace meshcall
