// SpeakerPicker: which peer's tile gets the speaker's border: the loudest live peer above a
// threshold, held for a second so the border does not flicker between two talkers. Pure logic;
// one thread at a time (the event loop's).
#pragma once

#include <cstdint>
#include <span>

namespace meshcall {

class SpeakerPicker {
  public:
    struct Candidate {
        float level = 0;    // RMS of the peer's latest sound, 0..1
        bool live = false;  // connected and not muted
    };
    static constexpr float kSpeakingLevel = 0.02f;
    static constexpr int64_t kHoldUs = 1'000'000;

    // Returns the index of the speaker now (-1: nobody).
    int update(std::span<const Candidate> peers, int64_t now_us);
    int speaker() const { return speaker_; }

  private:
    int speaker_ = -1;
    int64_t since_us_ = 0;
};

}  // namespace meshcall
