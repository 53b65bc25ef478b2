// AudioOutput: where the mix goes. An SDL audio device (its callback thread pulls the mixer;
// SDL converts to the device's format), and/or a WAV recording of the mix. With no device
// (headless) a recording is paced by a sink thread at real time. Create and destroy on main.
#pragma once

#include <SDL.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "daemon/audio/audio_mixer.hpp"

namespace meshcall {

class AudioOutput {
  public:
    // `device`: try to open the default sound device (a warning if there is none).
    // `record_path`: also write the mix there as 48 kHz mono 16-bit WAV ("" for none).
    AudioOutput(AudioMixer& mixer, bool device, const std::string& record_path);
    ~AudioOutput();
    AudioOutput(const AudioOutput&) = delete;
    AudioOutput& operator=(const AudioOutput&) = delete;

    bool has_device() const { return device_ != 0; }

  private:
    static void on_device(void* self, Uint8* stream, int len);
    void pull(float* out, std::size_t n);
    void write_wav(const float* samples, std::size_t n);
    void run_sink();

    AudioMixer& mixer_;
    SDL_AudioDeviceID device_ = 0;
    bool sdl_audio_ = false;
    FILE* wav_ = nullptr;
    uint32_t wav_samples_ = 0;
    std::vector<int16_t> pcm_;
    std::atomic<bool> stop_{false};
    std::thread sink_;
};

}  // namespace meshcall
