// MediaSender: the send path. Capture threads feed one encode thread, which encodes once,
// muxes one TS stream and sends each datagram to every peer (docs/architecture.md, "Send path").
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
#include "daemon/send/ts_muxer.hpp"
#include "daemon/util/latest_frame.hpp"
#include "daemon/util/thread_check.hpp"
#include "protocol/endpoint_report.hpp"

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

    const SendCounters& counters() const { return fanout_.counters(); }
    // Any thread: the upload's state (SendQueueGate) and each peer's send errors.
    const SendQueueGate& gate() const { return fanout_.gate(); }
    uint64_t peer_errors(std::size_t peer) const { return fanout_.peer_errors(peer); }
    uint64_t video_frames_sent() const { return video_frames_.load(std::memory_order_relaxed); }
    uint64_t audio_frames_sent() const { return audio_frames_.load(std::memory_order_relaxed); }
    // Frames the encoders refused (the encoders exist from construction on).
    uint64_t encode_errors() const {
        return (video_ ? video_->failures() : 0) + (audio_ ? audio_->failures() : 0);
    }
    const OpenedCapture& capture() const { return capture_; }

  private:
    void run();
    // Send thread: the in-band presence packet (protocol/peer_message.hpp).
    void send_presence(bool leaving);
    // Send thread: the endpoint report, if there is one.
    void send_endpoint_report();

    OpenedCapture capture_;
    CaptureQueue queue_{64};
    FanoutSender fanout_;
    std::optional<VideoEncoder> video_;
    std::optional<AudioEncoder> audio_;
    std::unique_ptr<TsMuxer> muxer_;
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
    bool encrypted_ = false;
    std::thread thread_;
    ThreadCheck lifecycle_;  // the thread that called start(): stop() comes from it too
};

}  // namespace meshcall
