// LayerControl: which video layer each receiver is sent (issue 15). Per receiver: the layer its
// reports ask for (the size it draws our tile at), a RateController fed with its reports (what
// its path carries), and a probe schedule; across receivers, allocate_layers under the upload
// budget (what SendQueueGate measures our uplink draining, when it is saturated), the least
// important receivers stepping down first, never below the smallest layer (sound is never cut).
//
// A receiver steps down only on confirmed congestion: overuse in two reports in a row (half a
// second) or 5 % loss (then below what arrives: sustained loss breaks pictures until the next
// refresh, where the controller alone would hold between 2 and 10 %). A lone overuse report (a scheduling stall on a busy machine reads as a
// delay spike) lowers its controller's target, but not its layer: layers are coarse, and one
// step down costs a picture three times smaller and an IDR each way.
//
// Probing: layers are coarse (a receiver at the half-size layer receives ~210 kbit/s, the top
// layer costs ~1045), so a target capped by what is received could never reach the next layer.
// A receiver that wants more than its target pays for, whose target is held by that cap, is
// given the next layer up for 2 s every 2 s at first; a probe that ends in overuse or loss
// (its path could not carry it) doubles that interval, up to 8 s (a capped link sees one brief
// probe every 8 s; a link whose cap lifted climbs back within ~10 s).
// A probe is one layer: the one above what the target paid for when it began, held for its 2 s
// even as the target grows with what it brings back. A probe that held proves that layer: the
// receiver keeps it (its cost counts as paid) until its target next decreases or it reports loss.
// Without that, a layer whose encoder sends less than its nominal bitrate (an easy scene) could
// never be paid for, the target being capped at 1.5 x what is received: it came and went with
// every probe.
//
// Threads: on_report() from any thread (the loop); everything else on the send thread; the
// status getters from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "config/video_layers.hpp"
#include "daemon/send/rate_controller.hpp"
#include "protocol/receiver_report.hpp"

namespace meshcall {

class LayerControl {
  public:
    // `receivers`: the fan-out's peers; `start_layer`: what a receiver gets before it reports.
    LayerControl(std::vector<LayerSpec> layers, int audio_kbps, std::size_t receivers,
                 int start_layer);

    static constexpr int64_t kProbeForUs = 2'000'000;
    static constexpr int64_t kProbeFirstUs = 2'000'000, kProbeMaxUs = 8'000'000;

    // Any thread: receiver `peer`'s report about our stream. True when it asks for another
    // layer than its last report did.
    bool on_report(std::size_t peer, const ReceiverReportEntry& entry, int64_t now_us);

    // Send thread: what each layer's stream measures, kbit/s (0: not measured).
    void set_measured(std::vector<double> kbps) { measured_ = std::move(kbps); }

    // Send thread, every 250 ms or so: the reports since the last call go to the controllers,
    // then the layers are chosen. `active[p]`: p gets video at all (a participant, not backed
    // off); `budget_kbps`: the upload's (<= 0: none). Returns each receiver's layer (-1 for the
    // inactive ones).
    std::vector<int> update(int64_t now_us, const std::vector<bool>& active, double budget_kbps);

    // Any thread, for status: the receiver's target (kbit/s, 0 before its first report), and
    // whether it gets less than it asks for (its path or our upload holds it down).
    double target_kbps(std::size_t peer) const {
        return peer < status_.size() ? status_[peer].target.load(std::memory_order_relaxed) : 0;
    }
    bool held_down(std::size_t peer) const {
        return peer < status_.size() && status_[peer].held_down.load(std::memory_order_relaxed);
    }

  private:
    struct Receiver {
        std::unique_ptr<RateController> rate;  // created at its first report
        int wanted = -1;                       // from its reports; -1: none yet
        bool probing = false;
        int probe_layer = -1;   // the layer being probed
        int proven_layer = -1;  // the last probe that held, until the target decreases; -1: none
        int64_t probe_until_us = 0, next_probe_us = 0;
        int64_t probe_interval_us = kProbeFirstUs;
        bool wish_rose = false;  // it asked for a bigger layer: probe at once (once)
        int overuse_streak = 0;  // reports in a row that said overuse
        double loss = 0;         // the last report's
        double rx_kbps = 0;      // the last report's
        int chosen = -1;         // the layer chosen last time
    };
    struct Pending {
        std::optional<ReceiverReportEntry> entry;
        int64_t at_us = 0;
    };
    struct Status {
        std::atomic<double> target{0};
        std::atomic<bool> held_down{false};
    };

    // What sending `layer` to one receiver costs: its stream's measured rate (video, sound and
    // TS) when it has one, else its nominal bitrate plus sound. Measured, because an encoder
    // undershoots on simple pictures: a receiver whose path carries the layer's real rate must
    // not be moved down for its nominal one.
    double cost(int layer) const {
        const auto k = static_cast<std::size_t>(layer);
        return measured_[k] > 0 ? measured_[k] : layers_[k].kbps + audio_kbps_;
    }

    std::vector<LayerSpec> layers_;
    std::vector<double> measured_;
    double audio_kbps_;
    int start_layer_;
    std::vector<Receiver> receivers_;  // send thread
    std::mutex pending_mutex_;
    std::vector<Pending> pending_;  // pending_mutex_
    std::vector<int> last_asked_;   // pending_mutex_: each one's last want_layer
    std::vector<Status> status_;
};

}  // namespace meshcall
