// CallSession: wiring of one call and its event loop.
#include "daemon/call_session.hpp"

#include <systemd/sd-daemon.h>

#include <cmath>
#include <cstring>

#include "daemon/audio/audio_output.hpp"
#include "daemon/util/log.hpp"
#include "daemon/view/viewer.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

namespace {
template <typename T>
uv_handle_t* as_handle(T* h) {
    return reinterpret_cast<uv_handle_t*>(h);
}
}  // namespace

CallSession::CallSession(const CallConfig& config) : config_(config) {
    uv_loop_init(&loop_);
    try {
        const Room& room = config_.room;
        for (std::size_t i = 0; i < room.peers.size(); ++i) {
            if (static_cast<int>(i) == config_.self) continue;
            peers_.push_back(std::make_unique<PeerLink>(room.peers[i], room));
        }
        socket_ = UdpSocket::open(
            &loop_, config_.me().address,
            [this](std::span<const uint8_t> b, const sockaddr* a) { on_datagram(b, a); });
        const std::string control_path =
            config_.control_path.empty() ? control_path_for_room(room.name) : config_.control_path;
        control_ = ControlServer::open(&loop_, control_path,
                                       [this](const ControlRequest& r) { return on_request(r); });
        OpenedCapture capture = open_capture(config_.video, config_.audio, room, config_.self);
        sender_ = std::make_unique<MediaSender>(room, config_.self, std::move(capture),
                                                socket_->fd(), self_view_);
        std::vector<SampleRing*> rings;
        for (auto& p : peers_) rings.push_back(&p->receiver().audio());
        mixer_ = std::make_unique<AudioMixer>(std::move(rings));
    } catch (...) {
        if (socket_) socket_->close();
        if (control_) control_->close();
        uv_run(&loop_, UV_RUN_DEFAULT);  // let the close callbacks free the handles
        uv_loop_close(&loop_);
        throw;
    }
}

CallSession::~CallSession() = default;

void CallSession::start_loop_handles() {
    uv_timer_init(&loop_, &tick_timer_);
    tick_timer_.data = this;
    uv_timer_start(
        &tick_timer_, [](uv_timer_t* t) { static_cast<CallSession*>(t->data)->on_tick(); }, 1000,
        1000);
    uv_timer_init(&loop_, &leave_timer_);
    leave_timer_.data = this;
    uv_timer_init(&loop_, &view_timer_);
    view_timer_.data = this;
    uv_timer_start(
        &view_timer_, [](uv_timer_t* t) { static_cast<CallSession*>(t->data)->publish_grid(); }, 0,
        200);
    uv_timer_init(&loop_, &snapshot_timer_);
    snapshot_timer_.data = this;
    if (!config_.snapshot_path.empty()) {
        const auto period = static_cast<uint64_t>(config_.snapshot_every * 1000);
        uv_timer_start(
            &snapshot_timer_,
            [](uv_timer_t* t) {
                auto* self = static_cast<CallSession*>(t->data);
                std::string error = self->write_snapshot(self->config_.snapshot_path);
                if (!error.empty()) spdlog::warn("snapshot: {}", error);
            },
            period, period);
    }
    uv_async_init(&loop_, &wake_,
                  [](uv_async_t* a) { static_cast<CallSession*>(a->data)->on_commands(); });
    wake_.data = this;
    {
        std::lock_guard lock(wake_mutex_);
        wake_open_ = true;
    }
    for (uv_signal_t* s : {&sigint_, &sigterm_}) {
        uv_signal_init(&loop_, s);
        s->data = this;
    }
    auto on_signal = [](uv_signal_t* s, int signum) {
        spdlog::info("{}: leaving the call", strsignal(signum));
        static_cast<CallSession*>(s->data)->shutdown();
    };
    uv_signal_start(&sigint_, on_signal, SIGINT);
    uv_signal_start(&sigterm_, on_signal, SIGTERM);
}

int CallSession::run() {
    start_loop_handles();
    started_us_ = av_gettime_relative();
    for (auto& p : peers_) p->receiver().start();
    sender_->start();
    socket_->start();
    spdlog::info("in room \"{}\" as {} on {}; control socket {}", config_.room.name,
                 config_.me().name, socket_->bound().to_string(), control_->path());
    sd_notify(0, "READY=1");
    std::thread loop_thread([this] {
        set_thread_role("loop");
        uv_run(&loop_, UV_RUN_DEFAULT);
    });
    {
        // Sound and window on the main thread, for as long as the call lasts.
        AudioOutput audio(*mixer_, !config_.headless, config_.record_mix_path);
        if (!config_.headless) show_window();
        loop_thread.join();
    }
    int rc = uv_loop_close(&loop_);
    if (rc != 0) spdlog::warn("event loop closed with handles still open: {}", uv_strerror(rc));
    return 0;
}

void CallSession::on_datagram(std::span<const uint8_t> bytes, const sockaddr* from) {
    const Address source = Address::from_sockaddr(from);
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        if (peers_[i]->address() == source) {
            if (peers_[i]->on_datagram(bytes, av_gettime_relative()) && sender_) {
                // A joiner, or a peer back from silence: full rate at once, and a clean
                // picture now rather than at the end of a refresh cycle.
                sender_->set_peer_backed_off(i, false);
                sender_->request_refresh();
            }
            return;
        }
    }
    ++dropped_unlisted_;  // not in the room: dropped before any parsing
}

void CallSession::on_tick() {
    const int64_t now = av_gettime_relative();
    for (auto& p : peers_) p->tick(now);
    // Back off from peers silent for 10 s (never heard, or gone): presence once a second only.
    constexpr int64_t kBackoffAfterUs = 10'000'000;
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        const int64_t heard = std::max(peers_[i]->last_seen_us(), started_us_);
        const bool back_off = now - heard > kBackoffAfterUs;
        if (back_off != sender_->peer_backed_off(i)) {
            spdlog::info("{}: {}", peers_[i]->name(),
                         back_off ? "silent for 10 s: sending only presence, once a second"
                                  : "heard again: sending everything");
            sender_->set_peer_backed_off(i, back_off);
        }
    }
    const uint64_t tx = sender_->counters().bytes.load(std::memory_order_relaxed);
    if (last_tick_us_ >= 0 && now > last_tick_us_)
        tx_kbps_ = double(tx - tick_tx_bytes_) * 8 / 1000 / (double(now - last_tick_us_) / 1e6);
    tick_tx_bytes_ = tx;
    last_tick_us_ = now;
}

nlohmann::json CallSession::status(bool histogram) const {
    const int64_t now = av_gettime_relative();
    nlohmann::json peers = nlohmann::json::array();
    for (std::size_t k = 0; k < peers_.size(); ++k) {
        const auto& p = peers_[k];
        const PeerMediaStats& s = p->receiver().stats();
        const int64_t p50 = s.latency_p50_us.load(), p95 = s.latency_p95_us.load(),
                      p99 = s.latency_p99_us.load();
        const uint32_t rgb = s.mean_rgb.load();
        nlohmann::json j = {
            {"name", p->name()},
            {"address", p->address().to_string()},
            {"state", p->state(now)},
            {"video_fps", std::round(p->video_fps() * 10) / 10},
            {"rx_kbps", std::round(p->rx_kbps() * 10) / 10},
            {"loss_pct", std::round(p->loss_pct() * 100) / 100},
            {"audio_muted", p->audio_muted()},
            {"video_muted", p->video_muted()},
            {"meshcall", p->is_meshcall()},
            {"tx_errors", sender_->peer_errors(k)},
            {"last_seen_ms", p->last_seen_us() < 0
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json((now - p->last_seen_us()) / 1000)},
            {"datagrams", p->datagrams()},
            {"bytes", p->bytes()},
            {"bad_datagrams", p->bad_datagrams()},
            {"rate_limited", p->rate_limited()},
            {"backed_off", sender_->peer_backed_off(k)},
            {"queue_drops", p->queue_drops()},
            {"lost_packets", p->lost_packets()},
            {"video_frames", s.video_frames.load()},
            {"audio_frames", s.audio_frames.load()},
            {"audio_reordered", s.audio_reordered.load()},
            {"audio_stale", s.audio_stale.load()},
            {"audio_concealed", s.audio_concealed.load()},
            {"audio_concealed_ms", s.audio_concealed_samples.load() / 48},
            {"audio_jumps", s.audio_jumps.load()},
            {"decode_errors", s.decode_errors.load()},
            {"rejected_streams", s.rejected_streams.load()},
            {"restarts", s.restarts.load()},
            {"latency_ms", p50 < 0 ? nlohmann::json(nullptr) : nlohmann::json(p50 / 1000.0)},
            {"latency_p95_ms", p95 < 0 ? nlohmann::json(nullptr) : nlohmann::json(p95 / 1000.0)},
            {"latency_p99_ms", p99 < 0 ? nlohmann::json(nullptr) : nlohmann::json(p99 / 1000.0)},
            {"audio_level", std::round(s.audio_level.load() * 1000) / 1000},
        };
        if (histogram) {
            nlohmann::json h = nlohmann::json::array();
            for (const auto& bucket : s.latency_histogram)
                h.push_back(bucket.load(std::memory_order_relaxed));
            j["latency_histogram_ms"] = std::move(h);
        }
        if (s.width.load() > 0) {
            j["picture"] = {{"width", s.width.load()},
                            {"height", s.height.load()},
                            {"mean_rgb", {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff}}};
        }
        peers.push_back(std::move(j));
    }
    const SendCounters& tx = sender_->counters();
    return {
        {"room", config_.room.name},
        {"self",
         {{"name", config_.me().name},
          {"address", socket_->bound().to_string()},
          {"video", sender_->capture().video.to_string()},
          {"audio", sender_->capture().audio.to_string()},
          {"audio_muted", sender_->audio_muted()},
          {"video_muted", sender_->video_muted()},
          {"tx_kbps", std::round(tx_kbps_ * 10) / 10},
          {"tx_datagrams", tx.datagrams.load()},
          {"video_frames_sent", sender_->video_frames_sent()},
          {"audio_frames_sent", sender_->audio_frames_sent()},
          {"tx_errors", tx.errors.load()},
          // A saturated upload (SendQueueGate): frames skipped and datagrams dropped.
          {"upload_saturated", sender_->gate().saturated()},
          {"saturation_episodes", sender_->gate().episodes()},
          {"tx_frames_dropped", sender_->gate().frames_dropped()},
          {"tx_datagrams_dropped", sender_->gate().datagrams_dropped()},
          {"send_queue_ms", sender_->gate().queue_ms()}}},
        {"peers", std::move(peers)},
        {"dropped_unlisted", dropped_unlisted_},
        {"bad_requests", control_->bad_requests()},
        {"uptime_s", (now - started_us_) / 1000000},
    };
}

std::string CallSession::on_request(const ControlRequest& request) {
    if (auto* st = std::get_if<StatusRequest>(&request)) return ok_reply(status(st->histogram));
    if (auto* m = std::get_if<MuteRequest>(&request)) {
        if (m->what != MuteTarget::video) sender_->set_audio_muted(m->mute);
        if (m->what != MuteTarget::audio) sender_->set_video_muted(m->mute);
        return ok_reply(
            {{"audio_muted", sender_->audio_muted()}, {"video_muted", sender_->video_muted()}});
    }
    if (std::holds_alternative<LeaveRequest>(request)) {
        // Give the reply a moment to be written before everything closes.
        if (!uv_is_active(as_handle(&leave_timer_)))
            uv_timer_start(
                &leave_timer_,
                [](uv_timer_t* t) { static_cast<CallSession*>(t->data)->shutdown(); }, 50, 0);
        return ok_reply({{"leaving", true}});
    }
    const auto& snap = std::get<SnapshotRequest>(request);
    std::string error = write_snapshot(snap.path);
    if (!error.empty()) return error_reply(error);
    return ok_reply({{"path", snap.path}});
}

void CallSession::shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    ended_ = true;  // the window closes
    sd_notify(0, "STOPPING=1");
    // Threads first (none of them touches libuv), then the handles.
    sender_->stop();
    sender_.reset();  // its muxer's last bytes go out while the socket is still open
    for (auto& p : peers_) p->receiver().stop();
    socket_->close();
    control_->close();
    snapshot_.reset();
    {
        std::lock_guard lock(wake_mutex_);
        wake_open_ = false;
    }
    commands_.close();
    for (uv_handle_t* h : {as_handle(&tick_timer_), as_handle(&leave_timer_),
                           as_handle(&view_timer_), as_handle(&snapshot_timer_), as_handle(&wake_),
                           as_handle(&sigint_), as_handle(&sigterm_)})
        uv_close(h, nullptr);
}

}  // namespace meshcall

namespace meshcall {

void CallSession::post(Command command) {
    commands_.push(command);
    std::lock_guard lock(wake_mutex_);
    if (wake_open_) uv_async_send(&wake_);
}

void CallSession::on_commands() {
    Command c;
    // uv_async_send coalesces: drain everything on each wake-up.
    while (commands_.pop(c, std::chrono::milliseconds(0)) == BoundedQueue<Command>::Pop::item) {
        if (shutting_down_) return;
        switch (c) {
            case Command::toggle_audio:
                sender_->set_audio_muted(!sender_->audio_muted());
                break;
            case Command::toggle_video:
                sender_->set_video_muted(!sender_->video_muted());
                break;
            case Command::leave:
                shutdown();
                return;
        }
        publish_grid();
    }
}

void CallSession::show_window() {
    try {
        Viewer viewer(grid_,
                      {[this] { post(Command::toggle_audio); },
                       [this] { post(Command::toggle_video); }, [this] { post(Command::leave); }},
                      MESHCALL_FONT);
        viewer.run(ended_);
    } catch (const std::exception& e) {
        spdlog::warn("{}; the call goes on without a window (--headless says so quietly)",
                     e.what());
    }
}

void CallSession::publish_grid() {
    if (shutting_down_) return;
    const int64_t now = av_gettime_relative();
    GridState g;
    g.video_w = config_.room.video.width;
    g.video_h = config_.room.video.height;
    // The loudest peer speaks, held for a second so the border doesn't flicker.
    constexpr float kSpeaking = 0.02f;
    int loudest = -1;
    float loudest_level = kSpeaking;
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        const float level = peers_[i]->receiver().stats().audio_level.load();
        const bool live = peers_[i]->connected(now) && !peers_[i]->audio_muted();
        if (live && level > loudest_level) {
            loudest = static_cast<int>(i);
            loudest_level = level;
        }
        mixer_->set_muted(i, peers_[i]->audio_muted());
    }
    if (loudest != speaker_ && (now - speaker_since_us_ > 1'000'000 || speaker_ < 0)) {
        speaker_ = loudest;
        speaker_since_us_ = now;
    }
    int here = 1;
    std::size_t k = 0;
    for (std::size_t i = 0; i < config_.room.peers.size(); ++i) {
        TileState t;
        t.name = config_.room.peers[i].name;
        if (static_cast<int>(i) == config_.self) {
            t.self = true;
            t.frame = &self_view_;
            t.audio_muted = sender_->audio_muted();
            t.show = sender_->video_muted() ? TileState::Show::video_off : TileState::Show::video;
        } else {
            const PeerLink& p = *peers_[k];
            t.frame = &p.receiver().video();
            t.audio_muted = p.audio_muted();
            t.loss_pct = p.loss_pct();
            t.lossy = p.loss_pct() > 2.0;
            t.speaking = static_cast<int>(k) == speaker_;
            const std::string state = p.state(now);
            if (state == "left")
                t.show = TileState::Show::left;
            else if (p.video_muted())
                t.show = TileState::Show::video_off;
            else if (state == "connected" && p.receiver().video().has_frame())
                t.show = TileState::Show::video;
            else
                t.show = TileState::Show::waiting;
            here += state == "connected";
            ++k;
        }
        g.tiles.push_back(std::move(t));
    }
    g.title = "meshcall \u2014 " + config_.room.name + " (" + std::to_string(here) + " of " +
              std::to_string(config_.room.peers.size()) + " here)";
    grid_.publish(std::move(g));
}

std::string CallSession::write_snapshot(const std::string& path) {
    if (!snapshot_) snapshot_ = std::make_unique<SnapshotRenderer>(1280, 720, MESHCALL_FONT);
    publish_grid();
    return snapshot_->write_png(grid_.read(), path);
}

}  // namespace meshcall
