// MediaSender: the send path. Capture threads feed one encode thread, which encodes each video
// layer once (LayerStream: the sizes of config/video_layers.hpp that some peer is sent), muxes
// one TS stream per layer and sends each peer the datagrams of its layer (docs/architecture.md,
// "Send path"). Which layer a peer gets: what its receiver reports ask for (the size it draws
// our tile at), switched at an IDR of the new layer.
// Construct on main; start() and stop() from the event loop thread (the session starts the
// call there and shuts it down there); mute flags and counters from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "config/room.hpp"
#include "daemon/send/capture_sources.hpp"
#include "daemon/send/encoders.hpp"
#include "daemon/send/fanout_sender.hpp"
#include "daemon/send/layer_control.hpp"
#include "daemon/send/layer_stream.hpp"
#include "daemon/util/latest_frame.hpp"
#include "daemon/util/thread_check.hpp"
#include "protocol/endpoint_report.hpp"
#include "protocol/receiver_report.hpp"

namespace meshcall {

class MediaSender {
  public:
    // Takes the opened capture; `fd` is the call's UDP socket; the peers are every other
    // participant of `room`, in its order. `self_view` receives every captured picture (it
    // outlives the sender). In an encrypted room every datagram is sealed (Sealer) under this
    // start's `epoch`; `private_key` in a "keys" room.
    MediaSender(const Room& room, int self, OpenedCapture capture, int fd, LatestFrame& self_view,
                const std::optional<Key32>& private_key = std::nullopt, uint64_t epoch = 0);
    ~MediaSender();

    void start();
    void stop();  // joins every thread it started

    void set_audio_muted(bool muted) { audio_muted_ = muted; }
    void set_video_muted(bool muted) { video_muted_ = muted; }
    bool audio_muted() const { return audio_muted_; }
    // Any thread: the next video frame is a clean picture (an IDR) - a peer just joined or
    // came back, and need not wait for a refresh cycle.
    void request_refresh() { refresh_requested_ = true; }
    // Any thread: see FanoutSender::set_backed_off.
    void set_peer_backed_off(std::size_t peer, bool backed_off) {
        fanout_.set_backed_off(peer, backed_off);
    }
    bool peer_backed_off(std::size_t peer) const { return fanout_.backed_off(peer); }
    // Any thread: see FanoutSender::set_route.
    void set_peer_route(std::size_t peer, const Address& endpoint, std::vector<Address> probes) {
        fanout_.set_route(peer, endpoint, std::move(probes));
    }
    // Any thread (the loop): the endpoint report (protocol/endpoint_report) sent to the other
    // members once a second from now on, sealed; never to a plain guest, nothing in a "none"
    // room.
    void set_endpoint_report(std::vector<ReportedEndpoint> entries);
    bool video_muted() const { return video_muted_; }

    // Any thread (the loop): `peer`'s receiver report about our stream (protocol/receiver_report).
    void on_receiver_report(std::size_t peer, const ReceiverReportEntry& entry, int64_t now_us);
    // Any thread (the loop): our own receiver report, sent to the members four times a second
    // from now on (members only: never to a stock guest).
    void set_receiver_report(std::vector<ReceiverReportEntry> entries);
    // The room's video layers (smallest first), and the one `peer` is sent now (-1: none yet).
    const std::vector<LayerSpec>& layers() const { return layer_specs_; }
    int peer_layer(std::size_t peer) const { return fanout_.layer(peer); }
    // The layer the peer is to be sent (what LayerControl chose; -1: none).
    int peer_wanted_layer(std::size_t peer) const {
        return peer < wanted_.size() ? wanted_[peer].load(std::memory_order_relaxed) : -1;
    }
    // Any thread: the congestion controller's target for `peer` (kbit/s; 0: no report yet),
    // whether it is held below the layer it asks for, and the upload budget (0: none).
    double peer_target_kbps(std::size_t peer) const { return control_->target_kbps(peer); }
    bool peer_held_down(std::size_t peer) const { return control_->held_down(peer); }
    double upload_budget_kbps() const { return budget_out_.load(std::memory_order_relaxed); }

    const SendCounters& counters() const { return fanout_.counters(); }
    // Any thread: the upload's state (SendQueueGate) and each peer's send errors.
    const SendQueueGate& gate() const { return fanout_.gate(); }
    uint64_t peer_errors(std::size_t peer) const { return fanout_.peer_errors(peer); }
    uint64_t video_frames_sent() const { return video_frames_.load(std::memory_order_relaxed); }
    uint64_t audio_frames_sent() const { return audio_frames_.load(std::memory_order_relaxed); }
    // Frames the encoders refused (the encoders exist from construction on).
    uint64_t encode_errors() const;
    const OpenedCapture& capture() const { return capture_; }

  private:
    void run();
    // Send thread: the in-band presence packet (protocol/peer_message.hpp).
    void send_presence(bool leaving);
    // Send thread: the endpoint report, if there is one.
    void send_endpoint_report();
    // Send thread: our receiver report, if there is one.
    void send_receiver_report();
    // Send thread, every 250 ms: the upload budget, then each participant's layer.
    void choose_layers(int64_t now_us);
    // Send thread: one captured picture, encoded for every layer some peer is (to be) sent.
    void send_video(const AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh);

    OpenedCapture capture_;
    CaptureQueue queue_{64};
    FanoutSender fanout_;
    std::vector<LayerSpec> layer_specs_;
    std::vector<std::unique_ptr<LayerStream>> layers_;  // one per spec when there is video
    std::unique_ptr<TsMuxer> audio_only_;               // when there is sound and no video
    std::optional<AudioEncoder> audio_;
    // Per peer (FanoutSender's order): the layer its reports ask for (-1: none yet); the send
    // thread moves the peer there at the new layer's next IDR.
    std::vector<std::atomic<int>> wanted_;
    int default_layer_ = 0;  // what a participant gets before its first report
    std::vector<bool> participant_;  // per peer: a meshcall participant (its layer is chosen)
    std::unique_ptr<LayerControl> control_;
    double budget_kbps_ = 0;  // send thread: the upload budget (0: none)
    int64_t last_choice_us_ = -1;
    std::atomic<double> budget_out_{0};
    std::atomic<bool> report_now_{false}, choose_now_{false};
    // Send thread: bytes each layer's stream produced since the last measurement, and its
    // measured rate (kbit/s, smoothed; 0 before it was sent).
    std::vector<uint64_t> layer_bytes_;
    std::vector<double> layer_kbps_;
    int64_t layer_window_us_ = -1;
    LatestFrame& self_view_;  // the newest captured picture (not mirrored; the viewer mirrors)
    std::atomic<bool> audio_muted_{false}, video_muted_{false}, refresh_requested_{false};
    std::atomic<uint64_t> video_frames_{0}, audio_frames_{0};  // encoded and sent
    // Video frames not encoded (the upload is saturated) are counted by the gate.
    int64_t origin_us_ = 0;
    std::string name_;
    uint32_t presence_seq_ = 0;
    uint8_t presence_cc_ = 0;
    std::mutex report_mutex_;
    std::optional<std::vector<ReportedEndpoint>> report_;  // report_mutex_
    std::optional<std::vector<ReceiverReportEntry>> receiver_report_;  // report_mutex_
    bool encrypted_ = false;
    std::thread thread_;
    ThreadCheck lifecycle_;  // the thread that called start(): stop() comes from it too
};

}  // namespace meshcall
