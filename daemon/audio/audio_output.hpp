// AudioOutput: where the mix goes. An SDL audio device (its callback thread pulls the mixer;
// SDL converts to the device's format), and/or a WAV recording of the mix (WavRecorder: the
// audio thread only pushes into its lock-free ring; its "wav" thread writes the file). With no
// device (headless) a recording is paced by a sink thread ("audio-sink") at real time. Whichever
// pulls (callback or sink) is the one audio thread: it takes no lock, does no I/O and allocates
// nothing. Create and destroy on main.
#pragma once

#include <SDL.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/audio/audio_mixer.hpp"
#include "daemon/audio/wav_recorder.hpp"
#include "daemon/util/playout_clock.hpp"

namespace meshcall {

class AudioOutput {
  public:
    // `device`: try to open the default sound device (a warning if there is none).
    // `record_path`: also write the mix there as 48 kHz mono 16-bit WAV ("" for none).
    // `playout`: told the output's latency while the mix is played (lip sync), cleared after.
    AudioOutput(AudioMixer& mixer, bool device, const std::string& record_path,
                PlayoutClock* playout = nullptr);
    ~AudioOutput();
    AudioOutput(const AudioOutput&) = delete;
    AudioOutput& operator=(const AudioOutput&) = delete;

    bool has_device() const { return device_ != 0; }

  private:
    static void on_device(void* self, Uint8* stream, int len);
    void pull(float* out, std::size_t n);  // the audio thread
    void run_sink();

    AudioMixer& mixer_;
    PlayoutClock* playout_;
    std::unique_ptr<WavRecorder> recorder_;
    SDL_AudioDeviceID device_ = 0;
    bool sdl_audio_ = false;
    std::atomic<bool> stop_{false};
    std::thread sink_;
};

}  // namespace meshcall
