// CallSession: wiring of one call and its event loop.
#include "daemon/call_session.hpp"

#include "config/video_layers.hpp"
#include "daemon/view/tile_layer.hpp"

#include <systemd/sd-daemon.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>
#include <utility>

#include "config/error.hpp"
#include "daemon/audio/audio_output.hpp"
#include "daemon/audio/audio_processor.hpp"
#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"
#include "daemon/view/viewer.hpp"
#include "protocol/sealed_datagram.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

CallSession::CallSession(const CallConfig& config) : config_(config), stun_(config.stun) {
    if (int rc = uv_loop_init(&loop_); rc != 0)
        throw std::runtime_error(std::string("cannot start the event loop: ") + uv_strerror(rc));
    on_failure_ = [this](const std::string& where, const std::string&) { fail(where); };
    loop_.data = &on_failure_;
    try {
        const Room& room = config_.room;
        for (std::size_t i = 0; i < room.peers.size(); ++i) {
            if (static_cast<int>(i) == config_.self) continue;
            peers_.push_back(std::make_unique<PeerLink>(
                room, i, static_cast<std::size_t>(config_.self), config_.private_key, &playout_));
        }
        // The recording's thread; recording starts once all else is open.
        std::vector<std::string> names;
        for (auto& p : peers_) names.push_back(p->name());
        recorder_ = std::make_unique<Recorder>(
            names, mix_tap_, [this](Recorder::Done done) { post(std::move(done)); });
        for (std::size_t i = 0; i < peers_.size(); ++i)
            peers_[i]->set_tap(
                [this, i](std::span<const uint8_t> bytes) { recorder_->on_datagram(i, bytes); });
        socket_ = UdpSocket::open(
            &loop_, room.bind_address(static_cast<std::size_t>(config_.self)),
            [this](std::span<const uint8_t> b, const sockaddr* a) { on_datagram(b, a); },
            [this](const Address& to, int) { on_unreachable(to); });
        counters_.bound = socket_->bound();
        const std::string control_path =
            config_.control_path.empty() ? control_path_for_room(room.name) : config_.control_path;
        control_ = ControlServer::open(
            &loop_, control_path, [this](const ControlRequest& r, ControlServer::ClientId from) {
                return on_request(r, from);
            });
        OpenedCapture capture = open_capture(config_.video, config_.audio, room, config_.self);
        if (config_.audio_processing)
            for (auto& in : capture.inputs)
                if (in->has_audio())
                    in->set_audio_processing(make_audio_processor({}), &far_end_, &playout_);
        sender_ = std::make_unique<MediaSender>(room, config_.self, std::move(capture),
                                                socket_->fd(), self_view_, config_.private_key);
        std::vector<SampleRing*> rings;
        for (auto& p : peers_) rings.push_back(&p->receiver().audio());
        mixer_ = std::make_unique<AudioMixer>(std::move(rings));
        mixer_->set_tap(&mix_tap_);
        grid_model_ = std::make_unique<GridModel>(config_, peers_, *sender_, self_view_);
        make_loop_handles();
        // A directory that cannot be made stops the start (exit 2).
        if (!config_.record_dir.empty())
            if (std::string error = recorder_->start_and_wait(config_.record_dir); !error.empty())
                throw ConfigError("--record: " + error);
    } catch (...) {
        for (auto* h : {tick_timer_, backoff_timer_, leave_timer_, view_timer_, snapshot_timer_})
            if (h) h->close();
        for (auto* h : {sigint_, sigterm_})
            if (h) h->close();
        if (wake_) wake_->close();
        if (socket_) socket_->close();
        if (control_) control_->close();
        if (recorder_) recorder_->close();
        uv_run(&loop_, UV_RUN_DEFAULT);  // let the close callbacks free the handles
        uv_loop_close(&loop_);
        throw;
    }
    // A thread that fails asks the loop to end the call (the loop says goodbye to the peers).
    set_thread_failure_handler([this](const std::string&, const std::string&) {
        exit_status_ = 1;
        post(Command::fail);
    });
}

CallSession::~CallSession() {
    set_thread_failure_handler(nullptr);
}

void CallSession::make_loop_handles() {
    tick_timer_ = UvTimer::create(&loop_, "stats timer", [this] { on_tick(); });
    tick_timer_->start(1000, 1000);
    backoff_timer_ = UvTimer::create(&loop_, "back-off timer", [this] { update_backoff(); });
    backoff_timer_->start(250, 250);
    leave_timer_ = UvTimer::create(&loop_, "leave timer", [this] { shutdown(); });
    view_timer_ = UvTimer::create(&loop_, "grid timer", [this] { publish_grid(); });
    view_timer_->start(0, 200);
    snapshot_timer_ = UvTimer::create(&loop_, "snapshot timer",
                                      [this] { request_snapshot(config_.snapshot_path, 0); });
    if (!config_.snapshot_path.empty()) {
        const auto period = static_cast<uint64_t>(config_.snapshot_every * 1000);
        snapshot_timer_->start(period, period);
    }
    wake_ = UvAsync::create(&loop_, "window commands", [this] { on_commands(); });
    auto on_signal = [this](int signum) {
        spdlog::info("{}: leaving the call", strsignal(signum));
        shutdown();
    };
    sigint_ = UvSignal::create(&loop_, SIGINT, on_signal);
    sigterm_ = UvSignal::create(&loop_, SIGTERM, on_signal);
}

int CallSession::run() {
    std::thread loop_thread([this] { run_thread("loop", [this] { run_loop(); }); });
    try {
        // The window, sound and snapshots on the main thread, for as long as the call lasts.
        // The window first: SDL's video set-up writes SDL's global hints, which SDL's audio
        // thread reads with no lock, so the audio device opens only once that is done.
        std::unique_ptr<Viewer> window = config_.headless ? nullptr : open_window();
        AudioOutput audio(*mixer_, !config_.headless, config_.record_mix_path, &playout_,
                          config_.speaker, &far_end_);
        // Nothing pulls the mixer (no device, no speaker, no --record-mix): a recording does.
        recorder_->set_mixer(audio.pulls_mixer() ? nullptr : mixer_.get());
        SnapshotService snapshots(
            snapshot_jobs_, [this](SnapshotDone done) { post(std::move(done)); }, MESHCALL_FONT);
        if (window) window->run(ended_, snapshots);
        snapshots.run(ended_);  // headless, or the window could not open, or the call ended
        loop_thread.join();
        recorder_->close();  // the files complete while the sound output still runs
    } catch (const std::exception& e) {
        spdlog::error("{}; leaving the call", e.what());
        exit_status_ = 1;
        post(Command::leave);
    }
    if (loop_thread.joinable()) loop_thread.join();
    recorder_->close();
    int rc = uv_loop_close(&loop_);
    if (rc != 0) spdlog::warn("event loop closed with handles still open: {}", uv_strerror(rc));
    return exit_status_;
}

void CallSession::run_loop() {
    loop_thread_.bind();
    guarded(&loop_, "starting the call", [this] { start_media(); });
    uv_run(&loop_, UV_RUN_DEFAULT);
}

void CallSession::start_media() {
    counters_.started_us = av_gettime_relative();
    for (auto& p : peers_) p->receiver().start();
    sender_->start();
    socket_->start();
    start_port_mapping();
    spdlog::info("in room \"{}\" as {} on {}; control socket {}; security: {}", config_.room.name,
                 config_.me().name, socket_->bound().to_string(), control_->path(),
                 security_name(config_.room.security));
    if (config_.room.encrypted())
        for (const auto& p : config_.room.peers)
            if (p.plain)
                spdlog::warn("{} is a plain {} (a stock {}): what goes {} it is NOT encrypted",
                             p.name, role_name(p.role),
                             p.role == PeerRole::viewer ? "player" : "sender",
                             p.role == PeerRole::viewer ? "to" : "from");
    sd_notify(0, "READY=1");
}

void CallSession::start_port_mapping() {
    // A host that has the room's address for itself needs no mapping; one that binds the
    // wildcard (no host in the room file, or a public address that is not this machine's: a
    // router in between) asks the router, in the background.
    const Address& bound = socket_->bound();
    const bool wildcard =
        bound.family() == AF_INET
            ? reinterpret_cast<const sockaddr_in*>(bound.sa())->sin_addr.s_addr == INADDR_ANY
            : IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(bound.sa())->sin6_addr);
    if (!wildcard) {
        counters_.port_mapping = "off (this host has the room file's address)";
        return;
    }
    counters_.port_mapping = "trying";
    port_mapper_ = std::make_unique<PortMapper>();
    port_mapper_->start(bound.port());
}

void CallSession::update_port_mapping(int64_t now) {
    if (!port_mapper_) return;
    const auto mapping = port_mapper_->current();
    std::erase_if(counters_.seen_as, [&](const SessionCounters::SeenAs& s) {
        return (s.via == "nat-pmp" || s.via == "upnp") && (!mapping || s.via != mapping->via);
    });
    if (mapping) {
        note_seen_as(mapping->external, mapping->via, now);
        counters_.port_mapping = describe(*mapping);
    } else {
        const std::string error = port_mapper_->last_error();
        counters_.port_mapping = error.empty() ? "trying" : error;
    }
}

std::size_t CallSession::room_index(std::size_t link) const {
    return link < static_cast<std::size_t>(config_.self) ? link : link + 1;
}

std::optional<std::size_t> CallSession::link_of(std::size_t room_index) const {
    const auto self = static_cast<std::size_t>(config_.self);
    if (room_index == self || room_index >= config_.room.peers.size()) return std::nullopt;
    return room_index < self ? room_index : room_index - 1;
}

void CallSession::on_datagram(std::span<const uint8_t> bytes, const sockaddr* from) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    const Address source = Address::from_sockaddr(from);
    if (!stun_.empty() && stun_.on_datagram(bytes, source, av_gettime_relative())) {
        for (const auto& a : stun_.answers())
            note_seen_as(a.mapped, "stun:" + a.server, av_gettime_relative());
        return;
    }
    std::optional<std::size_t> link;
    for (std::size_t i = 0; i < peers_.size() && !link; ++i)
        if (peers_[i]->endpoint().current() == source) link = i;
    // From elsewhere: in an encrypted room, the peer its sealed header names may have moved
    // (PeerLink decides: only an authentic, newest datagram moves it).
    if (!link && config_.room.encrypted())
        if (const auto h = peek_seal_header(bytes)) link = link_of(h->sender);
    if (!link) {
        ++counters_.dropped_unlisted;  // not in the room: dropped before any parsing
        return;
    }
    PeerLink& p = *peers_[*link];
    const PeerLink::Arrival a = p.on_datagram(bytes, av_gettime_relative(), source);
    if (a.refused) {
        ++counters_.dropped_unlisted;
        return;
    }
    if (a.moved) {
        spdlog::info("{}: now at {} (an authenticated datagram came from there)", p.name(),
                     source.to_string());
        sender_->set_peer_route(*link, p.endpoint().current(), {});
    }
    if ((a.heard_again || a.moved) && sender_) {
        // A joiner, or a peer back from silence or at a new address: full rate at once, and
        // a clean picture now rather than at the end of a refresh cycle.
        sender_->set_peer_backed_off(*link, false);
        sender_->request_refresh();
    }
    if (auto report = p.take_report()) on_endpoint_report(*link, *report);
    if (auto report = p.take_receiver_report())
        for (const ReceiverReportEntry& e : *report)
            if (e.peer == static_cast<std::size_t>(config_.self) && sender_)
                sender_->on_receiver_report(*link, e, av_gettime_relative());
}

void CallSession::send_receiver_report() {
    if (!sender_ || !grid_model_) return;
    // The size each sender's tile is drawn at: the window's, or a headless 1280x720 grid.
    int view_w = kHeadlessGridWidth, view_h = kHeadlessGridHeight;
    if (const uint32_t size = view_size_.load(std::memory_order_relaxed)) {
        view_w = static_cast<int>(size >> 16);
        view_h = static_cast<int>(size & 0xffff);
    }
    int tiles = 0;
    for (const auto& p : config_.room.peers) tiles += p.sends();
    const int focus = grid_model_->focus();
    // Focused: that tile alone fills the view; the others are not drawn (their sound plays,
    // their smallest layer keeps a picture ready for the grid).
    const int want = layer_for_grid(sender_->layers(), focus >= 0 ? 1 : tiles, view_w, view_h,
                                    config_.room.video.width, config_.room.video.height);
    const int64_t now = av_gettime_relative();
    std::vector<ReceiverReportEntry> entries;
    for (std::size_t k = 0; k < peers_.size(); ++k) {
        PeerLink& p = *peers_[k];
        const ArrivalReport a = p.take_arrival(now);
        if (p.role() != PeerRole::participant) continue;
        if (want >= 0)
            p.set_wanted_layer(sender_->layers()[static_cast<std::size_t>(
                focus < 0 || static_cast<int>(room_index(k)) == focus ? want : 0)]);
        ReceiverReportEntry e;
        e.peer = static_cast<uint8_t>(room_index(k));
        const int wanted = focus < 0 || static_cast<int>(room_index(k)) == focus ? want : 0;
        e.want_layer = static_cast<uint8_t>(std::max(0, wanted));
        e.rx_kbps = static_cast<uint16_t>(std::clamp(a.rx_kbps, 0.0, 65535.0));
        e.loss = static_cast<uint8_t>(std::clamp(a.loss_fraction * 255.0 + 0.5, 0.0, 255.0));
        e.delay = static_cast<uint8_t>(a.delay);
        entries.push_back(e);
    }
    sender_->set_receiver_report(std::move(entries));
}

void CallSession::on_endpoint_report(std::size_t from, const std::vector<ReportedEndpoint>& report) {
    const int64_t now = av_gettime_relative();
    const std::string& reporter = peers_[from]->name();
    for (const ReportedEndpoint& e : report) {
        if (e.peer == static_cast<std::size_t>(config_.self)) {
            note_seen_as(e.endpoint, "peer:" + reporter, now);
            continue;
        }
        if (const auto link = link_of(e.peer)) {
            // About another: where the reporter hears it; about itself: what a STUN server or
            // its router's port mapping says.
            peers_[*link]->endpoint().reported(*link == from ? reporter + " itself" : reporter,
                                               e.endpoint, now);
        }
    }
}

void CallSession::note_seen_as(const Address& endpoint, const std::string& via, int64_t now) {
    auto& seen = counters_.seen_as;
    for (auto& s : seen)
        if (s.via == via) {
            s.endpoint = endpoint;
            s.at_us = now;
            return;
        }
    seen.push_back({endpoint, via, now});
}

void CallSession::update_endpoints() {
    send_receiver_report();
    const int64_t now = av_gettime_relative();
    stun_.poll(now, [this](const Address& to, std::span<const uint8_t> bytes) {
        // The loop's own datagram on the call's socket (the send thread's go with sendmmsg;
        // the kernel keeps each datagram whole).
        if (sendto(socket_->fd(), bytes.data(), bytes.size(), MSG_DONTWAIT, to.sa(), to.length) < 0)
            spdlog::debug("STUN request to {}: {}", to.to_string(), std::strerror(errno));
    });
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        PeerLink& p = *peers_[i];
        if (!p.update_endpoint(now)) continue;
        if (!p.endpoint().probes().empty())
            spdlog::debug("{}: probing {} endpoint(s) members report", p.name(),
                          p.endpoint().probes().size());
        sender_->set_peer_route(i, p.endpoint().current(), p.endpoint().probes());
    }
    update_port_mapping(now);
    // Reports older than a few seconds say little about where we are now.
    std::erase_if(counters_.seen_as, [&](const SessionCounters::SeenAs& s) {
        return s.via.starts_with("peer:") && now - s.at_us > PeerEndpoint::kReportFreshUs;
    });
}

void CallSession::send_endpoint_report() {
    if (!config_.room.encrypted()) return;
    const int64_t now = av_gettime_relative();
    std::vector<ReportedEndpoint> report;
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        const PeerLink& p = *peers_[i];
        if (p.endpoint().roams() && p.connected(now) && p.endpoint().current().known())
            report.push_back({static_cast<uint8_t>(room_index(i)), p.endpoint().current()});
    }
    // And where we are, as a STUN server or the router's port mapping says (what members
    // see of us they know already).
    for (const auto& s : counters_.seen_as)
        if (!s.via.starts_with("peer:"))
            report.push_back({static_cast<uint8_t>(config_.self), s.endpoint});
    sender_->set_endpoint_report(std::move(report));
}

void CallSession::on_unreachable(const Address& destination) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    const int64_t now = av_gettime_relative();
    for (auto& p : peers_)
        if (p->destination() == destination) p->on_unreachable(now);
    update_backoff();  // at once: a dead port is not sprayed for another quarter second
}

void CallSession::update_backoff() {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    update_endpoints();
    const int64_t now = av_gettime_relative();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        const PeerLink::Backoff why = peers_[i]->backoff(now, counters_.started_us);
        const bool back_off = why != PeerLink::Backoff::none;
        if (back_off == sender_->peer_backed_off(i)) continue;
        if (why == PeerLink::Backoff::silent)
            spdlog::info("{}: silent for 10 s: sending only presence", peers_[i]->name());
        else if (why == PeerLink::Backoff::unreachable)
            spdlog::info("{}: {} is unreachable (ICMP): sending only presence", peers_[i]->name(),
                         peers_[i]->destination().to_string());
        else
            spdlog::info("{}: sending everything again", peers_[i]->name());
        sender_->set_peer_backed_off(i, back_off);
        // A guest's player that just started: a clean picture now, not at the end of a cycle.
        if (!back_off) sender_->request_refresh();
    }
}

void CallSession::on_tick() {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    const int64_t now = av_gettime_relative();
    for (auto& p : peers_) p->tick(now);
    send_endpoint_report();
    const uint64_t tx = sender_->counters().bytes.load(std::memory_order_relaxed);
    if (last_tick_us_ >= 0 && now > last_tick_us_)
        counters_.tx_kbps =
            double(tx - tick_tx_bytes_) * 8 / 1000 / (double(now - last_tick_us_) / 1e6);
    tick_tx_bytes_ = tx;
    last_tick_us_ = now;
}

std::optional<std::string> CallSession::on_request(const ControlRequest& request,
                                                   ControlServer::ClientId from) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    if (auto* st = std::get_if<StatusRequest>(&request)) {
        counters_.bad_requests = control_->bad_requests();
        counters_.recording = recorder_->status();
        return ok_reply(status_report(config_, peers_, *sender_, counters_, st->histogram,
                                      av_gettime_relative()));
    }
    if (auto* m = std::get_if<MuteRequest>(&request)) {
        if (m->what != MuteTarget::video) sender_->set_audio_muted(m->mute);
        if (m->what != MuteTarget::audio) sender_->set_video_muted(m->mute);
        return ok_reply(
            {{"audio_muted", sender_->audio_muted()}, {"video_muted", sender_->video_muted()}});
    }
    if (std::holds_alternative<LeaveRequest>(request)) {
        // Give the reply a moment to be written before everything closes.
        if (!leave_timer_->active()) leave_timer_->start(50, 0);
        return ok_reply({{"leaving", true}});
    }
    if (auto* f = std::get_if<FocusRequest>(&request)) {
        int index = -1;
        if (!f->peer.empty()) {
            index = config_.room.index_of(f->peer);
            if (index < 0 || index == config_.self || !config_.room.peers[static_cast<std::size_t>(index)].sends())
                return error_reply("\"" + f->peer +
                                   "\" is not another participant or sender of this room");
        }
        grid_model_->set_focus(index);
        publish_grid();
        send_receiver_report();  // its largest layer now, not at the next report
        return ok_reply({{"focus", index < 0 ? nlohmann::json(nullptr) : nlohmann::json(f->peer)}});
    }
    if (auto* r = std::get_if<RecordRequest>(&request)) {
        // The record thread creates the directory and opens the files, then answers.
        if (r->stop)
            recorder_->stop(from);
        else
            recorder_->start(r->dir, from);
        return std::nullopt;
    }
    request_snapshot(std::get<SnapshotRequest>(request).path, from);
    return std::nullopt;  // answered when the view thread has written it
}

void CallSession::fail(const std::string& where) {
    spdlog::error("{} failed: leaving the call", where);
    exit_status_ = 1;
    shutdown();
}

void CallSession::shutdown() {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    if (shutting_down_) return;
    shutting_down_ = true;
    ended_ = true;  // the window closes
    sd_notify(0, "STOPPING=1");
    // Threads first (none of them touches libuv), then the handles. The sender's destructor
    // sends the goodbye and the muxer's last bytes while the socket is still open.
    sender_->stop();
    port_mapper_.reset();  // on its owner thread: the router forgets the mapping (~1 s at most)
    grid_model_.reset();
    sender_.reset();
    for (auto& p : peers_) p->receiver().stop();
    socket_->close();
    control_->close();
    snapshot_jobs_.close();
    mailbox_.close();
    for (auto* t : {tick_timer_, backoff_timer_, leave_timer_, view_timer_, snapshot_timer_})
        t->close();
    {
        std::lock_guard lock(wake_mutex_);
        std::exchange(wake_, nullptr)->close();
    }
    sigint_->close();
    sigterm_->close();
    // Closing the watchers gave the signals back their default action (death by SIGTERM): a
    // second SIGTERM (systemd's stop while a `leave` is under way) must not cut the goodbye.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
}

void CallSession::post(LoopMessage message) {
    mailbox_.push(std::move(message));
    std::lock_guard lock(wake_mutex_);
    if (wake_) wake_->wake();
}

void CallSession::on_commands() {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    LoopMessage m;
    // uv_async_send coalesces: drain everything on each wake-up.
    while (mailbox_.pop(m, std::chrono::milliseconds(0)) == BoundedQueue<LoopMessage>::Pop::item) {
        if (shutting_down_) return;
        if (auto* done = std::get_if<SnapshotDone>(&m)) {
            on_snapshot_done(*done);
            continue;
        }
        if (auto* done = std::get_if<Recorder::Done>(&m)) {
            on_record_done(*done);
            continue;
        }
        switch (std::get<Command>(m)) {
            case Command::toggle_audio:
                sender_->set_audio_muted(!sender_->audio_muted());
                break;
            case Command::toggle_video:
                sender_->set_video_muted(!sender_->video_muted());
                break;
            case Command::leave:
                shutdown();
                return;
            case Command::fail:
                fail("a thread");
                return;
        }
        publish_grid();
    }
}

std::unique_ptr<Viewer> CallSession::open_window() {
    try {
        return std::make_unique<Viewer>(grid_,
                                        Viewer::Actions{[this] { post(Command::toggle_audio); },
                                                        [this] { post(Command::toggle_video); },
                                                        [this] { post(Command::leave); },
                                                        [this](int w, int h) {
                                                            view_size_.store(
                                                                uint32_t(std::clamp(w, 1, 65535)) << 16 |
                                                                uint32_t(std::clamp(h, 1, 65535)));
                                                        }},
                                        MESHCALL_FONT);
    } catch (const std::exception& e) {
        spdlog::warn("{}; the call goes on without a window (--headless says so quietly)",
                     e.what());
        return nullptr;
    }
}

void CallSession::publish_grid() {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    if (shutting_down_) return;
    for (std::size_t i = 0; i < peers_.size(); ++i) mixer_->set_muted(i, peers_[i]->audio_muted());
    grid_.publish(grid_model_->build(av_gettime_relative()));
}

void CallSession::request_snapshot(const std::string& path, ControlServer::ClientId reply_to) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    GridState grid = grid_model_->build(av_gettime_relative());
    grid_.publish(grid);
    snapshot_jobs_.push(SnapshotJob{std::move(grid), path, reply_to});
}

void CallSession::on_snapshot_done(const SnapshotDone& done) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    if (done.reply_to != 0)
        control_->reply(done.reply_to, done.error.empty() ? ok_reply({{"path", done.path}})
                                                          : error_reply(done.error));
    else if (!done.error.empty())
        spdlog::warn("snapshot: {}", done.error);
}

void CallSession::on_record_done(const Recorder::Done& done) {
    MESHCALL_ASSERT_THREAD(loop_thread_);
    if (done.token == 0) return;
    if (!done.error.empty()) {
        control_->reply(done.token, error_reply(done.error));
        return;
    }
    const nlohmann::json status = done.status ? record_status_json(*done.status) : nullptr;
    control_->reply(done.token, ok_reply(done.stop ? nlohmann::json{{"stopped", status}}
                                                   : nlohmann::json{{"recording", status}}));
}

}  // namespace meshcall
