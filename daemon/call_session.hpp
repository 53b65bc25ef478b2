// CallSession: one participant's call. Builds the socket, the send path, a receiver per peer
// and the control socket, runs the event loop on its own thread, and takes it all down again.
// Construct, run() and destroy from one thread (main).
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/call_config.hpp"
#include "daemon/audio/audio_mixer.hpp"
#include "daemon/loop/control_server.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/send/media_sender.hpp"
#include "daemon/loop/peer_link.hpp"
#include "daemon/view/snapshot.hpp"
#include "daemon/loop/udp_socket.hpp"

namespace meshcall {

class CallSession {
  public:
    // Sets everything up; throws std::runtime_error (socket taken, device missing, ...)
    // or ControlServer::AlreadyRunning.
    explicit CallSession(const CallConfig& config);
    ~CallSession();

    // Runs the call until SIGINT/SIGTERM or a leave request. Returns the exit status.
    int run();

  private:
    enum class Command { toggle_audio, toggle_video, leave };

    void start_loop_handles();
    // Main thread (the window's keys): hands a command to the loop thread.
    void post(Command command);
    void on_commands();                                   // loop thread
    void publish_grid();                                  // loop thread
    std::string write_snapshot(const std::string& path);  // loop thread
    void show_window();                                   // main thread
    void on_datagram(std::span<const uint8_t> bytes, const sockaddr* from);
    void on_tick();
    std::string on_request(const ControlRequest& request);
    nlohmann::json status(bool histogram) const;
    void shutdown();  // loop thread

    const CallConfig& config_;
    uv_loop_t loop_{};
    UdpSocket* socket_ = nullptr;       // owned by libuv's close callback
    ControlServer* control_ = nullptr;  // likewise
    std::vector<std::unique_ptr<PeerLink>> peers_;
    std::unique_ptr<MediaSender> sender_;
    uv_timer_t tick_timer_{}, leave_timer_{}, view_timer_{}, snapshot_timer_{};
    uv_async_t wake_{};
    BoundedQueue<Command> commands_{64};
    std::mutex wake_mutex_;
    bool wake_open_ = false;          // guarded by wake_mutex_
    std::atomic<bool> ended_{false};  // the loop is shutting down: the window closes
    LatestFrame self_view_;
    GridStateSlot grid_;
    std::unique_ptr<AudioMixer> mixer_;
    std::unique_ptr<SnapshotRenderer> snapshot_;  // loop thread, made on first use
    int speaker_ = -1;                            // index into peers_ of the highlighted speaker
    int64_t speaker_since_us_ = 0;
    uv_signal_t sigint_{}, sigterm_{};
    uint64_t dropped_unlisted_ = 0;
    uint64_t tick_tx_bytes_ = 0;
    int64_t last_tick_us_ = -1, started_us_ = 0;
    double tx_kbps_ = 0;
    bool shutting_down_ = false;
};

}  // namespace meshcall
