// LayerControl: reports -> rate controllers -> layers.
#include "daemon/send/layer_control.hpp"

#include <algorithm>

#include "daemon/send/layer_allocator.hpp"

namespace meshcall {

namespace {
// Sound's cost on the wire per copy, beside the Opus bitrate (TS, IP and UDP headers).
constexpr double kAudioWireOverhead = 1.4;
// A probe reported with more loss than this did not hold (RateController's "no loss": 2 %). A
// full drop-tail queue shows no delay trend, only loss: overuse alone would never end a probe
// into a link that is already full.
constexpr double kProbeLossMax = 0.02;
// A report with this much loss is congestion: the receiver steps down.
constexpr double kLossyPath = 0.05;
}  // namespace

LayerControl::LayerControl(std::vector<LayerSpec> layers, int audio_kbps, std::size_t receivers,
                           int start_layer)
    : layers_(std::move(layers)),
      measured_(layers_.size(), 0.0),
      audio_kbps_(audio_kbps * kAudioWireOverhead),
      start_layer_(start_layer),
      receivers_(receivers),
      pending_(receivers),
      last_asked_(receivers, -1),
      status_(receivers) {}

bool LayerControl::on_report(std::size_t peer, const ReceiverReportEntry& entry, int64_t now_us) {
    // Under the lock even the size: update() swaps pending_ on the send thread.
    std::lock_guard lock(pending_mutex_);
    if (peer >= pending_.size()) return false;
    // Two reports between updates: the rates of the first would be lost; its wish is not.
    pending_[peer] = Pending{entry, now_us};
    const bool changed = last_asked_[peer] != entry.want_layer;
    last_asked_[peer] = entry.want_layer;
    return changed;
}

std::vector<int> LayerControl::update(int64_t now_us, const std::vector<bool>& active,
                                      double budget_kbps) {
    const int top = static_cast<int>(layers_.size()) - 1;
    std::vector<Pending> reports(receivers_.size());
    {
        std::lock_guard lock(pending_mutex_);
        reports.swap(pending_);
        pending_.resize(receivers_.size());
    }
    // Each layer's whole cost per receiver (sound included: allocate_layers adds none).
    std::vector<LayerCost> costs;
    for (std::size_t k = 0; k < layers_.size(); ++k) costs.push_back({cost(static_cast<int>(k))});
    std::vector<ReceiverDemand> demands(receivers_.size());
    for (std::size_t p = 0; p < receivers_.size(); ++p) {
        Receiver& r = receivers_[p];
        if (reports[p].entry) {
            const ReceiverReportEntry& e = *reports[p].entry;
            const int wanted_before = r.wanted;
            r.wanted = std::min<int>(e.want_layer, top);
            // A bigger tile (focus, fullscreen) is a person waiting: probe for it now (even
            // while the rate is still growing by itself) rather than at the next probe time,
            // unless a probe failed lately (then it keeps its pace).
            if (wanted_before >= 0 && r.wanted > wanted_before && r.probe_interval_us <= kProbeFirstUs) {
                r.next_probe_us = std::min(r.next_probe_us, now_us);
                r.wish_rose = true;
            }
            if (!r.rate) {
                const int start = std::min(r.wanted, std::max(start_layer_, 0));
                r.rate = std::make_unique<RateController>(cost(start), cost(0), cost(top) * 1.25);
            }
            const RateController::State before = r.rate->state();
            r.overuse_streak = e.delay == static_cast<uint8_t>(DelaySignal::overuse) ? r.overuse_streak + 1 : 0;
            r.loss = e.loss / 255.0;
            r.rx_kbps = e.rx_kbps;
            const double target_before = r.rate->target_kbps();
            r.rate->on_feedback({reports[p].at_us, double(e.rx_kbps), e.loss / 255.0,
                                 static_cast<DelaySignal>(e.delay)});
            // The path said it carries less than before, or loses what we send: what a probe
            // proved no longer holds.
            if (r.rate->target_kbps() < target_before || e.loss / 255.0 > kProbeLossMax)
                r.proven_layer = -1;
            // A probe its path could not carry (overuse, or loss): try again later, less often.
            const bool overuse = r.rate->state() == RateController::State::decrease &&
                                 before != RateController::State::decrease;
            if (r.probing && (overuse || e.loss / 255.0 > kProbeLossMax)) {
                r.probing = false;
                r.probe_interval_us = std::min(kProbeMaxUs, r.probe_interval_us * 2);
                r.next_probe_us = now_us + r.probe_interval_us;
            }
        }
        ReceiverDemand& d = demands[p];
        d.active = active[p];
        d.wanted = r.wanted >= 0 ? r.wanted : start_layer_;
        d.target_kbps = r.rate ? r.rate->target_kbps() : cost(d.wanted);
        const bool congested = r.overuse_streak >= 2 || r.loss >= kLossyPath;
        if (!congested && r.chosen >= 0 && r.chosen <= d.wanted)
            d.target_kbps = std::max(d.target_kbps, cost(r.chosen));  // no step down on a blip
        // Sustained loss breaks pictures until the next refresh (the controller holds between
        // 2 and 10 %): below what arrives now, so the layer steps down.
        if (r.rate && r.loss >= kLossyPath) d.target_kbps = std::min(d.target_kbps, 0.85 * r.rx_kbps);
        if (r.probing && now_us >= r.probe_until_us) {
            r.probing = false;  // it held: the receiver keeps that layer; the next may come soon
            r.proven_layer = std::max(r.proven_layer, r.probe_layer);
            r.probe_interval_us = kProbeFirstUs;
            r.next_probe_us = now_us + r.probe_interval_us;
        }
        if (r.proven_layer >= 0 && !congested)
            d.target_kbps = std::max(d.target_kbps, cost(r.proven_layer));
        // No probe while our own upload is the limit: a probe there only moves another
        // receiver down (an IDR each way) and tells nothing about the receiver's path.
        if (!r.probing && budget_kbps <= 0 && r.rate &&
            (r.rate->application_limited() || (r.wish_rose && !congested)) &&
            now_us >= r.next_probe_us) {
            r.wish_rose = false;
            int affordable = 0;
            while (affordable < top && cost(affordable + 1) <= d.target_kbps) ++affordable;
            if (affordable < d.wanted) {
                r.probing = true;
                r.probe_layer = affordable + 1;
                r.probe_until_us = now_us + kProbeForUs;
            }
        }
        // One layer up for the whole probe: its cost counts as paid (not one above whatever
        // the target grows to meanwhile, which would climb two layers in one probe).
        if (r.probing) d.target_kbps = std::max(d.target_kbps, cost(r.probe_layer));
        d.probe = false;
    }
    std::vector<int> chosen = allocate_layers(costs, demands, 0.0, budget_kbps);
    for (std::size_t p = 0; p < receivers_.size(); ++p) {
        if (chosen[p] >= 0) receivers_[p].chosen = chosen[p];
        status_[p].target.store(receivers_[p].rate ? receivers_[p].rate->target_kbps() : 0,
                                std::memory_order_relaxed);
        status_[p].held_down.store(chosen[p] >= 0 && chosen[p] < demands[p].wanted,
                                   std::memory_order_relaxed);
    }
    return chosen;
}

}  // namespace meshcall
