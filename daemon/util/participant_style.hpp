// ParticipantStyle: each participant's test colour and tone, from its place in the room file,
// so tests and people can tell the tiles and voices apart.
#pragma once

#include <cstdint>

namespace meshcall {

struct Rgb {
    uint8_t r, g, b;
};

// Distinct, saturated, mid-brightness colours (x264 keeps them well at low bitrates).
Rgb participant_colour(int index);
// 300 Hz, 400 Hz, ... distinct and apart from each other's harmonics' first bins.
int participant_tone_hz(int index);

}  // namespace meshcall
