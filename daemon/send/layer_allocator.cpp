// allocate_layers: a layer per receiver within its target and our upload budget.
#include "daemon/send/layer_allocator.hpp"

#include <algorithm>
#include <cstddef>

namespace meshcall {

namespace {
// The largest layer whose cost plus the sound fits `target_kbps`; 0 when none does.
int layer_for(const std::vector<LayerCost>& layers, double target_kbps, double audio_kbps) {
    int best = 0;
    for (std::size_t l = 0; l < layers.size(); ++l)
        if (layers[l].kbps + audio_kbps <= target_kbps) best = static_cast<int>(l);
    return best;
}
}  // namespace

std::vector<int> allocate_layers(const std::vector<LayerCost>& layers,
                                 const std::vector<ReceiverDemand>& receivers, double audio_kbps,
                                 double budget_kbps) {
    std::vector<int> chosen(receivers.size(), -1);
    if (layers.empty()) return chosen;
    const int top = static_cast<int>(layers.size()) - 1;
    double total = 0;
    std::vector<std::size_t> order;  // the active receivers, least important first
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        const ReceiverDemand& r = receivers[i];
        if (!r.active) continue;
        int layer = layer_for(layers, r.target_kbps, audio_kbps);
        if (r.probe) ++layer;
        layer = std::clamp(std::min(layer, r.wanted), 0, top);
        chosen[i] = layer;
        total += layers[static_cast<std::size_t>(layer)].kbps + audio_kbps;
        order.push_back(i);
    }
    if (budget_kbps <= 0 || total <= budget_kbps) return chosen;

    // Least important first: lower importance, and among equals the higher index.
    std::sort(order.begin(), order.end(), [&receivers](std::size_t a, std::size_t b) {
        if (receivers[a].importance != receivers[b].importance)
            return receivers[a].importance < receivers[b].importance;
        return a > b;
    });
    for (const std::size_t i : order) {
        while (total > budget_kbps && chosen[i] > 0) {
            const auto from = static_cast<std::size_t>(chosen[i]);
            total -= layers[from].kbps - layers[from - 1].kbps;
            --chosen[i];
        }
        if (total <= budget_kbps) break;
    }
    return chosen;
}

}  // namespace meshcall
