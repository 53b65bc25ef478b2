// LayerControl: receiver reports in, a layer per receiver out (fed timestamps: no clock).
#include <doctest/doctest.h>

#include "daemon/send/layer_control.hpp"

using namespace meshcall;

namespace {

const std::vector<LayerSpec> kLayers = {{160, 120, 15, 66}, {320, 240, 30, 200}, {640, 480, 30, 1000}};

ReceiverReportEntry report(int want, int rx_kbps, DelaySignal delay = DelaySignal::normal,
                           double loss = 0) {
    ReceiverReportEntry e;
    e.want_layer = static_cast<uint8_t>(want);
    e.rx_kbps = static_cast<uint16_t>(rx_kbps);
    e.delay = static_cast<uint8_t>(delay);
    e.loss = static_cast<uint8_t>(loss * 255);
    return e;
}

// Feeds `peer` one report every 250 ms from `t` for `seconds`; returns the last layers.
std::vector<int> feed(LayerControl& c, int64_t& t, double seconds, const ReceiverReportEntry& e,
                      std::size_t peers = 1) {
    std::vector<int> out;
    for (int64_t end = t + static_cast<int64_t>(seconds * 1e6); t < end; t += 250'000) {
        for (std::size_t p = 0; p < peers; ++p) c.on_report(p, e, t);
        out = c.update(t, std::vector<bool>(peers, true), 0);
    }
    return out;
}

}  // namespace

TEST_CASE("layer control: a receiver gets the layer it asks for on a clean path") {
    LayerControl c(kLayers, 32, 1, 2);
    int64_t t = 0;
    CHECK(feed(c, t, 2, report(2, 1000))[0] == 2);
    // It asks for a smaller one (a smaller tile): it gets it at once.
    CHECK(feed(c, t, 0.25, report(1, 1000))[0] == 1);
}

TEST_CASE("layer control: one overuse report is a blip, two in a row step down") {
    LayerControl c(kLayers, 32, 1, 2);
    int64_t t = 0;
    REQUIRE(feed(c, t, 2, report(2, 1000))[0] == 2);
    CHECK(feed(c, t, 0.25, report(2, 1000, DelaySignal::overuse))[0] == 2);
    CHECK(feed(c, t, 1, report(2, 1000))[0] == 2);
    CHECK(feed(c, t, 0.5, report(2, 1000, DelaySignal::overuse))[0] < 2);
}

TEST_CASE("layer control: 20 percent loss steps down, and a clean path climbs back by probing") {
    LayerControl c(kLayers, 32, 1, 2);
    int64_t t = 0;
    REQUIRE(feed(c, t, 2, report(2, 1000))[0] == 2);
    const int low = feed(c, t, 2, report(2, 600, DelaySignal::normal, 0.2))[0];
    CHECK(low < 2);
    // Clean again, receiving what the lower layer sends: a probe within 10 s, and it holds.
    bool back = false;
    for (int i = 0; i < 40 && !back; ++i) back = feed(c, t, 0.25, report(2, 250))[0] == 2;
    CHECK(back);
    CHECK(feed(c, t, 3, report(2, 1000))[0] == 2);
}

TEST_CASE("layer control: over the upload budget the later receivers step down first") {
    LayerControl c(kLayers, 32, 3, 2);
    int64_t t = 0;
    feed(c, t, 2, report(2, 1000), 3);
    for (std::size_t p = 0; p < 3; ++p) c.on_report(p, report(2, 1000), t);
    // Room for two full streams and a small one.
    const auto layers = c.update(t, {true, true, true}, 2 * (1000 + 45) + 300);
    CHECK(layers[0] == 2);
    CHECK(layers[1] == 2);
    CHECK(layers[2] < 2);
    CHECK(c.held_down(2));
    CHECK(!c.held_down(0));
}

TEST_CASE("layer control: a wish that rises (focus) is probed at once, not at the next probe time") {
    LayerControl c(kLayers, 32, 1, 0);
    int64_t t = 0;
    // From the smallest layer a probe climbs to the half size and holds: the next probe time is
    // 2 s on.
    bool half = false;
    for (int i = 0; i < 16 && !half; ++i) half = feed(c, t, 0.25, report(1, 250))[0] == 1;
    REQUIRE(half);
    REQUIRE(feed(c, t, 2.25, report(1, 250))[0] == 1);
    // The tile grows: the full size within half a second.
    CHECK(feed(c, t, 0.5, report(2, 250))[0] == 2);
}
