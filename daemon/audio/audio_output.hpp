// AudioOutput: where the mix goes. A named PulseAudio sink (PulseSpeaker, --speaker), or an SDL
// audio device (its callback thread pulls the mixer; SDL converts to the device's format),
// and/or a WAV recording of the mix (WavRecorder: the
// audio thread only pushes into its lock-free ring; its "wav" thread writes the file). With no
// device (headless) a recording is paced by a sink thread ("audio-sink") at real time. Whichever
// pulls (callback, PulseSpeaker's thread or sink) is the one audio thread: it takes no lock, does
// no I/O and allocates nothing. What a device plays is also pushed into the FarEnd, for the
// microphone's echo canceller. Create and destroy on main.
#pragma once

#include <SDL.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/audio/audio_mixer.hpp"
#include "daemon/audio/pulse_speaker.hpp"
#include "daemon/audio/wav_recorder.hpp"
#include "daemon/util/far_end.hpp"
#include "daemon/util/playout_clock.hpp"

namespace meshcall {

class AudioOutput {
  public:
    // `device`: try to open the default sound device (a warning if there is none).
    // `record_path`: also write the mix there as 48 kHz mono 16-bit WAV ("" for none).
    // `playout`: told the output's latency while the mix is played (lip sync), cleared after.
    // `speaker`: a PulseAudio sink to play on instead (even if `device` is false); throws
    // std::runtime_error naming it when it cannot be opened.
    // `far_end`: given what a device plays (not a headless recording), for the echo canceller.
    AudioOutput(AudioMixer& mixer, bool device, const std::string& record_path,
                PlayoutClock* playout = nullptr, const std::string& speaker = "",
                FarEnd* far_end = nullptr);
    ~AudioOutput();
    AudioOutput(const AudioOutput&) = delete;
    AudioOutput& operator=(const AudioOutput&) = delete;

    bool has_device() const { return device_ != 0 || speaker_ != nullptr; }
    // Whether something of this output pulls the mixer: a device, a speaker, or the sink thread
    // that paces a recording of the mix.
    bool pulls_mixer() const { return has_device() || sink_.joinable(); }

  private:
    static void on_device(void* self, Uint8* stream, int len);
    void pull(float* out, std::size_t n);  // the audio thread
    void run_sink();

    AudioMixer& mixer_;
    PlayoutClock* playout_;
    FarEnd* far_end_;  // null unless a device plays
    std::unique_ptr<WavRecorder> recorder_;
    std::unique_ptr<PulseSpeaker> speaker_;
    SDL_AudioDeviceID device_ = 0;
    bool sdl_audio_ = false;
    std::atomic<bool> stop_{false};
    std::thread sink_;
};

}  // namespace meshcall
