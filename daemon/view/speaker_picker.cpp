// SpeakerPicker: the loudest live peer, held for a second.
#include "daemon/view/speaker_picker.hpp"

namespace meshcall {

int SpeakerPicker::update(std::span<const Candidate> peers, int64_t now_us) {
    int loudest = -1;
    float loudest_level = kSpeakingLevel;
    for (std::size_t i = 0; i < peers.size(); ++i) {
        if (peers[i].live && peers[i].level > loudest_level) {
            loudest = static_cast<int>(i);
            loudest_level = peers[i].level;
        }
    }
    if (loudest != speaker_ && (now_us - since_us_ > kHoldUs || speaker_ < 0)) {
        speaker_ = loudest;
        since_us_ = now_us;
    }
    return speaker_;
}

}  // namespace meshcall
