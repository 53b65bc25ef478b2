// duration_text: a wait in words for messages ("1 s", "0.5 s", "250 ms"). Any thread.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace meshcall {

inline std::string duration_text(std::chrono::milliseconds d) {
    const long long ms = d.count();
    char buf[32];
    if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%lld ms", ms);
    else if (ms % 1000 < 50 || ms % 1000 >= 950)
        std::snprintf(buf, sizeof buf, "%lld s", (ms + 500) / 1000);
    else
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
    return buf;
}

}  // namespace meshcall
