// demo: `meshcall demo [--peers N] [--seconds S]` - an N-party call on this machine with test
// sources, one participant in a window (or, with no display, a snapshot PNG).
#pragma once

namespace meshcall {

// Returns the exit status (0 when every participant joined and left cleanly).
int run_demo(int peers, double seconds);

}  // namespace meshcall
