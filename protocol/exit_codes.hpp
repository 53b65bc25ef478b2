// Exit statuses of meshcalld and meshcall (documented in --help and the README).
#pragma once

namespace meshcall {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure: port taken, device missing, ...
inline constexpr int kExitUsage = 2;    // usage or configuration error
inline constexpr int kExitNoCall = 3;   // CLI: no such call

}  // namespace meshcall
