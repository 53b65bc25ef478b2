// devices: `meshcall devices [--json]`: the microphones (PulseAudio sources that are not a sink's
// monitor), speakers (PulseAudio sinks) and cameras (/dev/video*) this machine has, by the names
// --audio mic:NAME, --speaker NAME and --video camera:PATH take.
#pragma once

namespace meshcall {

// Prints the list (a table, or one JSON object with --json). Exit status: 0, or 1 when no sound
// server could be reached (said on stderr; cameras are still listed).
int run_devices(bool json);

}  // namespace meshcall
