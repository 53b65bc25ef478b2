// allocate_layers: which of our video layers each receiver gets, from what it asks for, what its
// path takes (its RateController's target) and what our upload takes (the budget). Pure: the
// send thread calls it whenever a demand or a target changes.
#pragma once

#include <vector>

namespace meshcall {

struct LayerCost {
    double kbps = 0;  // the layer's video bitrate
};

struct ReceiverDemand {
    int wanted = 0;          // the layer it asks for (from the size it draws our tile at)
    double target_kbps = 0;  // its RateController's target (video + sound)
    // Higher = more important (it shows us big, we are the speaker); ties: the lower index is
    // the more important.
    int importance = 0;
    bool active = true;  // false: gets nothing (backed off, a stock sender): skipped
    // May get one layer above what its target pays for (still not above `wanted`): a probe,
    // when its RateController is application_limited() (the target cannot grow past what is
    // sent, so without trying a larger layer it would never reach one). The caller decides how
    // often to probe.
    bool probe = false;
};

// Chooses a layer per receiver (-1 for inactive ones): never above `wanted`, never above what
// its target allows (the largest layer with cost + audio_kbps <= target; one more when probing),
// never below 0 (L0 is the floor even when the target is lower: sound is never starved, video
// degrades to L0). Then, if the total (the chosen layers' costs + audio_kbps per active
// receiver) exceeds `budget_kbps` (the upload budget; <= 0: no budget), steps the least
// important receiver above L0 down one layer, again and again, until it fits or everyone is at
// L0: the least important goes down to L0 before the next one loses anything, so the receivers
// that show us big keep their picture as long as the upload allows.
// `layers`: L0 first; empty: every active receiver gets -1 too (no video).
std::vector<int> allocate_layers(const std::vector<LayerCost>& layers,
                                 const std::vector<ReceiverDemand>& receivers, double audio_kbps,
                                 double budget_kbps);

}  // namespace meshcall
