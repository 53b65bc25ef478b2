// DelaySignal: what a receiver's delay-based detector (GCC's over-use detector) says about the
// path from one sender: its queues are filling (overuse), draining (underuse) or steady. Made on
// the receive side (ArrivalMonitor), carried in feedback, acted on by the sender (RateController).
#pragma once

#include <cstdint>

namespace meshcall {

// The values are the wire's: keep them.
enum class DelaySignal : uint8_t { normal = 0, overuse = 1, underuse = 2 };

}  // namespace meshcall
