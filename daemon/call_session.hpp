// CallSession: one participant's call. Builds the socket, the send path, a receiver per peer
// and the control socket, runs the event loop on its own thread, and takes it all down again.
// Construct, run() and destroy from one thread (main).
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/call_config.hpp"
#include "daemon/control_server.hpp"
#include "daemon/media_sender.hpp"
#include "daemon/peer_link.hpp"
#include "daemon/udp_socket.hpp"

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
    void start_loop_handles();
    void on_datagram(std::span<const uint8_t> bytes, const sockaddr* from);
    void on_tick();
    std::string on_request(const ControlRequest& request);
    nlohmann::json status(bool histogram) const;
    void shutdown();  // loop thread

    const CallConfig& config_;
    uv_loop_t loop_{};
    UdpSocket* socket_ = nullptr;          // owned by libuv's close callback
    ControlServer* control_ = nullptr;     // likewise
    std::vector<std::unique_ptr<PeerLink>> peers_;
    std::unique_ptr<MediaSender> sender_;
    uv_timer_t tick_timer_{}, leave_timer_{};
    uv_signal_t sigint_{}, sigterm_{};
    uint64_t dropped_unlisted_ = 0;
    uint64_t tick_tx_bytes_ = 0;
    int64_t last_tick_us_ = -1, started_us_ = 0;
    double tx_kbps_ = 0;
    bool shutting_down_ = false;
};

}  // namespace meshcall
