// Tests daemon/view/speaker_picker: the loudest live peer above the threshold, held a second.
#include <doctest/doctest.h>

#include <vector>

#include "daemon/view/speaker_picker.hpp"

using namespace meshcall;
using C = SpeakerPicker::Candidate;

TEST_CASE("the speaker is the loudest live peer, held for a second against a louder one") {
    SpeakerPicker p;
    CHECK(p.update(std::vector<C>{{0.01f, true}, {0.015f, true}}, 0) == -1);  // all too quiet
    CHECK(p.update(std::vector<C>{{0.3f, false}, {0.1f, true}}, 10) == 1);    // muted ones don't
    // A louder peer within the second: the border stays.
    CHECK(p.update(std::vector<C>{{0.5f, true}, {0.1f, true}}, 500'000) == 1);
    // After the second it moves.
    CHECK(p.update(std::vector<C>{{0.5f, true}, {0.1f, true}}, 1'000'011) == 0);
    // Silence, after the hold: nobody.
    CHECK(p.update(std::vector<C>{{0.f, true}, {0.f, true}}, 2'100'000) == -1);
}
