// allocate_layers on fixed demands: the room's default layers (640x480 at 1000 kbit/s, half and
// quarter size) and 45 kbit/s of sound.
#include <doctest/doctest.h>

#include <vector>

#include "daemon/send/layer_allocator.hpp"

using namespace meshcall;

namespace {

const std::vector<LayerCost> kLayers = {{67}, {200}, {1000}};
constexpr double kAudio = 45;

ReceiverDemand demand(int wanted, double target, int importance = 0, bool active = true) {
    ReceiverDemand d;
    d.wanted = wanted;
    d.target_kbps = target;
    d.importance = importance;
    d.active = active;
    return d;
}

}  // namespace

TEST_CASE("layer allocator: never above what is wanted nor above what the target pays for") {
    const std::vector<ReceiverDemand> r = {
        demand(2, 2000),  // wants and can take L2
        demand(1, 2000),  // wants L1 only
        demand(2, 600),   // its path takes L1 (245) not L2 (1045)
        demand(2, 1045),  // exactly L2 + sound
        demand(2, 1044),  // just short of it
        demand(0, 2000),
    };
    CHECK(allocate_layers(kLayers, r, kAudio, 0) == std::vector<int>{2, 1, 1, 2, 1, 0});
}

TEST_CASE("layer allocator: L0 is the floor - inactive receivers get nothing") {
    const std::vector<ReceiverDemand> r = {
        demand(2, 30),              // below even L0 + sound: L0
        demand(2, 2000, 5, false),  // backed off
        demand(-1, 2000),           // a nonsense wish: L0
        demand(7, 5000),            // more than there is: the top
    };
    CHECK(allocate_layers(kLayers, r, kAudio, 0) == std::vector<int>{0, -1, 0, 2});
    CHECK(allocate_layers({}, r, kAudio, 0) == std::vector<int>{-1, -1, -1, -1});
    CHECK(allocate_layers(kLayers, {}, kAudio, 1000).empty());
}

TEST_CASE("layer allocator: over the budget, the least important step down first, to L0") {
    // Three receivers wanting L2: 3 x 1045 = 3135 kbit/s.
    const std::vector<ReceiverDemand> r = {demand(2, 2000, 1), demand(2, 2000, 3),
                                           demand(2, 2000, 2)};
    CHECK(allocate_layers(kLayers, r, kAudio, 0) == std::vector<int>{2, 2, 2});
    CHECK(allocate_layers(kLayers, r, kAudio, 3135) == std::vector<int>{2, 2, 2});
    // 2400: the least important (index 0) down to L1 (2335).
    CHECK(allocate_layers(kLayers, r, kAudio, 2400) == std::vector<int>{1, 2, 2});
    // 2250: L1 is not enough for it: L0 (2202).
    CHECK(allocate_layers(kLayers, r, kAudio, 2250) == std::vector<int>{0, 2, 2});
    // 1500: the next least important (index 2) goes down too: 112 + 1045 + 245 = 1402.
    CHECK(allocate_layers(kLayers, r, kAudio, 1500) == std::vector<int>{0, 2, 1});
    // 600: everyone but the most important at L0, it at L1: 112 + 245 + 112 = 469.
    CHECK(allocate_layers(kLayers, r, kAudio, 600) == std::vector<int>{0, 1, 0});
    // Nothing fits: everyone at L0, over the budget all the same (sound is never dropped here).
    CHECK(allocate_layers(kLayers, r, kAudio, 100) == std::vector<int>{0, 0, 0});
}

TEST_CASE(
    "layer allocator: equal importance: the higher index steps down first - inactive ones cost "
    "nothing") {
    const std::vector<ReceiverDemand> r = {demand(2, 2000), demand(2, 2000),
                                           demand(2, 2000, 9, false)};
    // Two at L2: 2090. 1300 fits L2 + L1 (1290): the higher index takes the step.
    CHECK(allocate_layers(kLayers, r, kAudio, 1300) == std::vector<int>{2, 1, -1});
    CHECK(allocate_layers(kLayers, r, kAudio, 1200) == std::vector<int>{2, 0, -1});
    CHECK(allocate_layers(kLayers, r, kAudio, 2090) == std::vector<int>{2, 2, -1});
}

TEST_CASE("layer allocator: a probe gets one layer above its target, not above what it wants") {
    ReceiverDemand limited = demand(2, 178);  // L0 + sound sent; the target is held at 178
    limited.probe = true;
    ReceiverDemand small = demand(0, 178);
    small.probe = true;
    ReceiverDemand middle = demand(2, 300);  // L1 by its target; a probe tries L2
    middle.probe = true;
    CHECK(allocate_layers(kLayers, {limited, small, middle}, kAudio, 0) ==
          std::vector<int>{1, 0, 2});
    // The budget still rules.
    CHECK(allocate_layers(kLayers, {middle}, kAudio, 500) == std::vector<int>{1});
}
