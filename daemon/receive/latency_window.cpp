// LatencyWindow: a sliding window of latencies and its percentiles.
#include "daemon/receive/latency_window.hpp"

#include <algorithm>
#include <vector>

namespace meshcall {

void LatencyWindow::add(int64_t latency_us) {
    values_.push_back(latency_us);
    if (values_.size() > kCapacity) values_.pop_front();
}

std::optional<LatencyWindow::Percentiles> LatencyWindow::percentiles() const {
    if (values_.empty()) return std::nullopt;
    std::vector<int64_t> sorted(values_.begin(), values_.end());
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    return Percentiles{sorted[n / 2], sorted[std::min(n - 1, n * 95 / 100)],
                       sorted[std::min(n - 1, n * 99 / 100)]};
}

}  // namespace meshcall
