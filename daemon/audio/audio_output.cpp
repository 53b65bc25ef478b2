// AudioOutput: SDL audio device, WAV recording, headless pacing.
#include "daemon/audio/audio_output.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "daemon/util/log.hpp"

namespace meshcall {

namespace {
constexpr std::size_t kBlock = 960;  // 20 ms

void put_le(FILE* f, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) std::fputc(static_cast<int>((v >> (8 * i)) & 0xff), f);
}

void write_wav_header(FILE* f, uint32_t samples) {
    std::rewind(f);
    std::fwrite("RIFF", 1, 4, f);
    put_le(f, 36 + samples * 2, 4);
    std::fwrite("WAVEfmt ", 1, 8, f);
    put_le(f, 16, 4);
    put_le(f, 1, 2);  // PCM
    put_le(f, 1, 2);  // mono
    put_le(f, AudioMixer::kRate, 4);
    put_le(f, AudioMixer::kRate * 2, 4);
    put_le(f, 2, 2);
    put_le(f, 16, 2);
    std::fwrite("data", 1, 4, f);
    put_le(f, samples * 2, 4);
}
}  // namespace

AudioOutput::AudioOutput(AudioMixer& mixer, bool device, const std::string& record_path)
    : mixer_(mixer) {
    if (!record_path.empty()) {
        wav_ = std::fopen(record_path.c_str(), "wb");
        if (wav_)
            write_wav_header(wav_, 0);
        else
            spdlog::warn("cannot write the recording {}: {}", record_path, std::strerror(errno));
    }
    if (device) {
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
        }
        if (device_ == 0) {
            spdlog::warn("no sound device ({}); the call goes on without sound", SDL_GetError());
        } else {
            SDL_PauseAudioDevice(device_, 0);
        }
    }
    if (device_ == 0 && wav_) sink_ = std::thread([this] { run_sink(); });
}

AudioOutput::~AudioOutput() {
    stop_ = true;
    if (sink_.joinable()) sink_.join();
    if (device_) SDL_CloseAudioDevice(device_);
    if (sdl_audio_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
    if (wav_) {
        write_wav_header(wav_, wav_samples_);
        std::fclose(wav_);
    }
}

void AudioOutput::on_device(void* self, Uint8* stream, int len) {
    static_cast<AudioOutput*>(self)->pull(reinterpret_cast<float*>(stream),
                                          static_cast<std::size_t>(len) / sizeof(float));
}

void AudioOutput::pull(float* out, std::size_t n) {
    mixer_.mix({out, n});
    if (wav_) write_wav(out, n);
}

void AudioOutput::write_wav(const float* samples, std::size_t n) {
    pcm_.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        pcm_[i] = static_cast<int16_t>(std::lround(std::clamp(samples[i], -1.f, 1.f) * 32767.f));
    std::fseek(wav_, 0, SEEK_END);
    std::fwrite(pcm_.data(), sizeof(int16_t), n, wav_);
    wav_samples_ += static_cast<uint32_t>(n);
    write_wav_header(wav_, wav_samples_);  // a reader sees a valid file at any time
    std::fflush(wav_);
}

void AudioOutput::run_sink() {
    set_thread_role("audio-sink");
    std::vector<float> block(kBlock);
    auto next = std::chrono::steady_clock::now();
    while (!stop_) {
        next += std::chrono::milliseconds(20);
        std::this_thread::sleep_until(next);
        pull(block.data(), block.size());
    }
}

}  // namespace meshcall
