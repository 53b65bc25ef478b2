// CallSession: one participant's call, wired together. It builds the socket, the send path, a
// receiver per peer and the control socket, runs the event loop on its own thread, and takes it
// all down again.
//
// Threads: construct, run() and destroy on one thread (main), which after set-up runs the
// window and sound output (view/, audio/) until the call ends. The libuv handles are created on
// main before the loop thread starts, and from then on only the loop thread touches them: every
// member function below run() is loop-thread only (asserted in debug and sanitizer builds). The
// send and receive threads are started and stopped by the loop thread.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/call_config.hpp"
#include "daemon/audio/audio_mixer.hpp"
#include "daemon/grid_model.hpp"
#include "daemon/loop/control_server.hpp"
#include "daemon/loop/loop_failure.hpp"
#include "daemon/loop/peer_link.hpp"
#include "daemon/loop/stun_client.hpp"
#include "daemon/loop/udp_socket.hpp"
#include "daemon/loop/uv_async.hpp"
#include "daemon/loop/uv_signal.hpp"
#include "daemon/loop/uv_timer.hpp"
#include "daemon/portmap/port_mapper.hpp"
#include "daemon/record/recorder.hpp"
#include "daemon/send/media_sender.hpp"
#include "daemon/status_report.hpp"
#include "daemon/util/bounded_queue.hpp"
#include "daemon/util/far_end.hpp"
#include "daemon/util/thread_check.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/view/snapshot_service.hpp"
#include "daemon/view/viewer.hpp"

namespace meshcall {

class CallSession {
  public:
    // Sets everything up; throws std::runtime_error (socket taken, device missing, ...)
    // or ControlServer::AlreadyRunning.
    explicit CallSession(const CallConfig& config);
    ~CallSession();

    // Runs the call until SIGINT/SIGTERM, a leave request or a failure. Returns the exit
    // status: 0 after a normal leave, 1 when a failure ended the call (peers were told).
    int run();

  private:
    enum class Command { toggle_audio, toggle_video, leave, fail };
    // The loop's mailbox: what other threads hand it.
    using LoopMessage = std::variant<Command, SnapshotDone, Recorder::Done>;

    void make_loop_handles();               // main, before the loop thread
    void run_loop();                        // the loop thread's body
    void start_media();                     // loop thread: the send and receive threads, the socket
    void start_port_mapping();              // loop thread, from start_media
    void update_port_mapping(int64_t now_us);
    std::unique_ptr<Viewer> open_window();  // main thread; nullptr when there is no display
    // Any thread (the window's keys, the snapshot service, failing threads): hands a message
    // to the loop thread.
    void post(LoopMessage message);

    // Loop thread only, from here on.
    void on_commands();
    void on_datagram(std::span<const uint8_t> bytes, const sockaddr* from);
    // peers_ index -> room index, and back (nullopt for self or out of range).
    std::size_t room_index(std::size_t link) const;
    std::optional<std::size_t> link_of(std::size_t room_index) const;
    // A member's endpoint report (protocol/endpoint_report): introductions, and where we are
    // seen.
    void on_endpoint_report(std::size_t from, const std::vector<ReportedEndpoint>& report);
    void note_seen_as(const Address& endpoint, const std::string& via, int64_t now_us);
    // Every 250 ms: adopts reported endpoints, tells the send path where to send and probe.
    void update_endpoints();
    // Once a second: where we hear each peer, for the send path to report to the members.
    void send_endpoint_report();
    // Every 250 ms: for each sender, the layer we want (from the size we draw its tile at) and
    // how its stream arrives, for the send path to tell the members (protocol/receiver_report).
    void send_receiver_report();
    void on_tick();
    void on_unreachable(const Address& destination);
    // Backs peers off, or resumes them (PeerLink::backoff), every 250 ms and on each ICMP error.
    void update_backoff();
    void publish_grid();
    std::optional<std::string> on_request(const ControlRequest& request,
                                          ControlServer::ClientId from);
    // Asks the view thread for a snapshot of the grid as it is now.
    void request_snapshot(const std::string& path, ControlServer::ClientId reply_to);
    void on_snapshot_done(const SnapshotDone& done);
    // The record thread's answer to a record request.
    void on_record_done(const Recorder::Done& done);
    void fail(const std::string& where);
    void shutdown();

    const CallConfig& config_;
    uv_loop_t loop_{};
    LoopFailureHandler on_failure_;  // loop_.data points here
    ThreadCheck loop_thread_;
    // libuv handles: each deletes itself in its close callback.
    UdpSocket* socket_ = nullptr;
    ControlServer* control_ = nullptr;
    UvTimer *tick_timer_ = nullptr, *backoff_timer_ = nullptr, *leave_timer_ = nullptr,
            *view_timer_ = nullptr, *snapshot_timer_ = nullptr;
    std::mutex wake_mutex_;    // main posts while the loop may be closing the doorbell
    UvAsync* wake_ = nullptr;  // guarded by wake_mutex_ once the loop runs
    UvSignal *sigint_ = nullptr, *sigterm_ = nullptr;

    PlayoutClock playout_;  // the sound output's latency, for the receivers' lip sync
    FarEnd far_end_;        // what the speaker plays, for the microphone's echo canceller
    std::vector<std::unique_ptr<PeerLink>> peers_;
    StunClient stun_;
    // Asks the home router to forward our port, when the room file does not give this host's
    // own address (behind a NAT); started and stopped on the loop thread.
    std::unique_ptr<PortMapper> port_mapper_;
    std::unique_ptr<MediaSender> sender_;
    BoundedQueue<LoopMessage> mailbox_{64};
    SnapshotQueue snapshot_jobs_{4};
    std::atomic<bool> ended_{false};
    // The window's drawable size (width << 16 | height), 0 when there is none (headless): the
    // view thread writes it, the loop reads it.
    std::atomic<uint32_t> view_size_{0};  // the loop is shutting down: the window closes
    LatestFrame self_view_;
    GridStateSlot grid_;
    std::unique_ptr<GridModel> grid_model_;
    MixTap mix_tap_;  // the recording's copy of the mix; outlives the mixer and its threads
    std::unique_ptr<AudioMixer> mixer_;
    // The recording (--record, {"cmd":"record"}): its own thread; closed on main once the loop
    // has ended, before the sound output goes.
    std::unique_ptr<Recorder> recorder_;
    SessionCounters counters_;
    uint64_t tick_tx_bytes_ = 0;
    int64_t last_tick_us_ = -1;
    bool shutting_down_ = false;
    std::atomic<int> exit_status_{0};
};

}  // namespace meshcall
