// Talkers of the AEC bench: speech synthesised by espeak-ng at run time (`espeak-ng -w`), read
// back from its WAV file and resampled to 48 kHz, leading and trailing silence trimmed and the
// level set. espeak-ng's output is the same bytes on every run for the same voice and text.
#pragma once

#include <string>

#include "bench/aec/dsp.hpp"

namespace meshcall::aec_bench {

struct Talker {
    std::string voice;  // espeak-ng's -v
    int words_per_minute = 160;
    std::string text;
};

// The far-end talker (a man, American English) and the near-end talker (a woman, British).
Talker far_talker();
Talker near_talker();

// `talker`'s speech at 48 kHz, repeated until it lasts `seconds`, at `level_dbfs` RMS (measured
// over the speech's active parts). Throws std::runtime_error naming espeak-ng or the file when
// synthesis fails.
Signal synthesise(const Talker& talker, double seconds, double level_dbfs);

// A mono 16-bit PCM WAV file's samples in [-1, 1) and its rate. Throws naming the file.
Signal read_wav(const std::string& path, int& rate);

}  // namespace meshcall::aec_bench
