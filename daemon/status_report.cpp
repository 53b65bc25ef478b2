// StatusReport: the status reply's JSON.
#include "daemon/status_report.hpp"

#include <cmath>

namespace meshcall {

namespace {

nlohmann::json ms_or_null(int64_t us) {
    return us < 0 ? nlohmann::json(nullptr) : nlohmann::json(double(us) / 1000.0);
}

double rounded(double v, double scale) {
    return std::round(v * scale) / scale;
}

// What the peer's receiver thread counts (PeerMediaStats).
void add_media(nlohmann::json& j, const PeerMediaStats& s, bool histogram) {
    j.update({
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
        // Datagrams that waited over 300 ms for the receiver (dropped unread), and how often.
        {"stale_drops", s.stale_drops.load()},
        {"stale_episodes", s.stale_episodes.load()},
        {"latency_ms", ms_or_null(s.latency_p50_us.load())},
        {"latency_p95_ms", ms_or_null(s.latency_p95_us.load())},
        {"latency_p99_ms", ms_or_null(s.latency_p99_us.load())},
        {"audio_level", rounded(s.audio_level.load(), 1000)},
    });
    if (histogram) {
        nlohmann::json h = nlohmann::json::array();
        for (const auto& bucket : s.latency_histogram)
            h.push_back(bucket.load(std::memory_order_relaxed));
        j["latency_histogram_ms"] = std::move(h);
    }
    if (s.width.load() > 0) {
        const uint32_t rgb = s.mean_rgb.load();
        j["picture"] = {{"width", s.width.load()},
                        {"height", s.height.load()},
                        {"mean_rgb", {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff}}};
    }
}

nlohmann::json layer_json(const LayerSpec& l, int index) {
    return {{"layer", index}, {"width", l.width}, {"height", l.height}, {"fps", l.fps},
            {"kbps", l.kbps}};
}

// What we send `k` (its layer's spec), and what we get from it (measured: the pictures' size,
// their rate, the bitrate; "layer" is the room's layer of that size, null for another size).
void add_layers(nlohmann::json& j, const PeerLink& p, const MediaSender& sender, std::size_t k) {
    const auto& layers = sender.layers();
    const int tx = sender.peer_layer(k);
    j["tx_layer"] = tx >= 0 && static_cast<std::size_t>(tx) < layers.size()
                        ? layer_json(layers[static_cast<std::size_t>(tx)], tx)
                        : nlohmann::json(nullptr);
    const int wanted = sender.peer_wanted_layer(k);
    j["tx_layer_wanted"] = wanted >= 0 ? nlohmann::json(wanted) : nlohmann::json(nullptr);
    const double target = sender.peer_target_kbps(k);
    j["tx_estimate_kbps"] = target > 0 ? nlohmann::json(rounded(target, 1)) : nlohmann::json(nullptr);
    j["tx_held_down"] = sender.peer_held_down(k);
    j["rx_held_down"] = p.held_down();
    const PeerMediaStats& s = p.receiver().stats();
    const int w = s.width.load(), h = s.height.load();
    if (w <= 0) {
        j["rx_layer"] = nullptr;
        return;
    }
    nlohmann::json layer = nullptr;
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].width == w && layers[i].height == h) layer = static_cast<int>(i);
    j["rx_layer"] = {{"layer", layer},
                     {"width", w},
                     {"height", h},
                     {"fps", rounded(p.video_fps(), 10)},
                     {"kbps", rounded(p.rx_kbps(), 10)}};
}

nlohmann::json peer_status(const PeerLink& p, const MediaSender& sender, std::size_t k,
                           bool histogram, int64_t now) {
    nlohmann::json j = {
        {"name", p.name()},
        {"role", role_name(p.role())},
        {"address", p.address().known() ? nlohmann::json(p.address().to_string())
                                        : nlohmann::json(nullptr)},
        {"state", p.state(now)},
        {"endpoint", p.endpoint().current().known()
                         ? nlohmann::json(p.endpoint().current().to_string())
                         : nlohmann::json(nullptr)},
        {"endpoint_via", PeerEndpoint::via_name(p.endpoint().via())
                             ? nlohmann::json(PeerEndpoint::via_name(p.endpoint().via()))
                             : nlohmann::json(nullptr)},
        {"endpoint_moves", p.endpoint().moves()},
        {"video_fps", rounded(p.video_fps(), 10)},
        {"rx_kbps", rounded(p.rx_kbps(), 10)},
        {"loss_pct", rounded(p.loss_pct(), 100)},
        {"audio_muted", p.audio_muted()},
        {"video_muted", p.video_muted()},
        {"meshcall", p.is_meshcall()},
        {"tx_errors", sender.peer_errors(k)},
        {"last_seen_ms", p.last_seen_us() < 0 ? nlohmann::json(nullptr)
                                              : nlohmann::json((now - p.last_seen_us()) / 1000)},
        {"datagrams", p.datagrams()},
        {"bytes", p.bytes()},
        {"bad_datagrams", p.bad_datagrams()},
        {"rate_limited", p.rate_limited()},
        {"encrypted", !p.plain()},
        {"auth_failed", p.auth_failed()},
        {"replayed", p.replayed()},
        {"epoch_unknown", p.epoch_unknown()},
        {"backed_off", sender.peer_backed_off(k)},
        {"unreachable", p.unreachable(now)},
        {"unreachable_errors", p.unreachable_errors()},
        {"queue_drops", p.queue_drops()},
        {"lost_packets", p.lost_packets()},
    };
    const auto why = p.unreachable_reason(now);
    j["unreachable_reason"] = why ? nlohmann::json(*why) : nlohmann::json(nullptr);
    add_media(j, p.receiver().stats(), histogram);
    add_layers(j, p, sender, k);
    // Lip sync: how much later than its sound each picture is shown (negative: earlier); null
    // while pictures are not scheduled on sound (none played, or none from this peer).
    const auto late = p.receiver().video().lateness_us();
    j["av_offset_ms"] = p.receiver().av_synced() && late ? nlohmann::json(rounded(*late / 1000.0, 10))
                                                         : nlohmann::json(nullptr);
    return j;
}

nlohmann::json self_fields(const CallConfig& config, const MediaSender& sender,
                           const SessionCounters& session);

// The sound devices and the microphone's clean-up.
void add_sound(nlohmann::json& j, const CallConfig& config, const MediaSender& sender) {
    nlohmann::json mic = nullptr, processing = {{"enabled", false}};
    for (const auto& in : sender.capture().inputs) {
        if (in->is_microphone()) {
            const std::string& device = sender.capture().audio.device;
            mic = {{"name", device.empty() ? "default" : device},
                   {"state", in->lost() ? "lost" : "open"}};
        }
        if (const AudioProcessor* p = in->audio_processor()) {
            const AudioProcessorStats st = p->stats();
            processing = {{"enabled", true},
                          {"name", p->name()},
                          {"erle_db", st.erle_db >= 0 && std::isfinite(st.erle_db)
                                          ? nlohmann::json(rounded(st.erle_db, 10))
                                          : nlohmann::json(nullptr)},
                          {"delay_ms", st.delay_ms >= 0 ? nlohmann::json(st.delay_ms)
                                                        : nlohmann::json(nullptr)}};
        }
    }
    j["microphone"] = std::move(mic);
    j["speaker"] = !config.speaker.empty() ? nlohmann::json(config.speaker)
                   : config.headless       ? nlohmann::json(nullptr)
                                           : nlohmann::json("default");
    j["audio_processing"] = std::move(processing);
}

nlohmann::json self_status(const CallConfig& config, const MediaSender& sender,
                           const SessionCounters& session) {
    nlohmann::json j = self_fields(config, sender, session);
    add_sound(j, config, sender);
    return j;
}

nlohmann::json self_fields(const CallConfig& config, const MediaSender& sender,
                           const SessionCounters& session) {
    const SendCounters& tx = sender.counters();
    return {{"name", config.me().name},
            {"address", session.bound.to_string()},
            {"video", sender.capture().video.to_string()},
            {"audio", sender.capture().audio.to_string()},
            {"audio_muted", sender.audio_muted()},
            {"video_muted", sender.video_muted()},
            {"tx_kbps", rounded(session.tx_kbps, 10)},
            {"upload_budget_kbps", sender.upload_budget_kbps() > 0
                                       ? nlohmann::json(rounded(sender.upload_budget_kbps(), 1))
                                       : nlohmann::json(nullptr)},
            {"layers", [&] {
                 nlohmann::json l = nlohmann::json::array();
                 for (std::size_t i = 0; i < sender.layers().size(); ++i)
                     l.push_back(layer_json(sender.layers()[i], static_cast<int>(i)));
                 return l;
             }()},
            {"tx_datagrams", tx.datagrams.load()},
            {"video_frames_sent", sender.video_frames_sent()},
            {"audio_frames_sent", sender.audio_frames_sent()},
            {"tx_errors", tx.errors.load()},
            {"encode_errors", sender.encode_errors()},
            // A saturated upload (SendQueueGate): frames skipped and datagrams dropped.
            {"upload_saturated", sender.gate().saturated()},
            {"saturation_episodes", sender.gate().episodes()},
            {"tx_frames_dropped", sender.gate().frames_dropped()},
            {"tx_datagrams_dropped", sender.gate().datagrams_dropped()},
            {"send_queue_ms", sender.gate().queue_ms()}};
}

}  // namespace

nlohmann::json record_status_json(const RecordStatus& r) {
    return {{"dir", r.dir},
            {"files", r.files},
            {"bytes", r.bytes},
            {"dropped", r.dropped},
            {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)}};
}

nlohmann::json status_report(const CallConfig& config,
                             const std::vector<std::unique_ptr<PeerLink>>& peers,
                             const MediaSender& sender, const SessionCounters& session,
                             bool histogram, int64_t now_us) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t k = 0; k < peers.size(); ++k)
        list.push_back(peer_status(*peers[k], sender, k, histogram, now_us));
    nlohmann::json seen = nlohmann::json::array();
    for (const auto& s : session.seen_as)
        seen.push_back({{"endpoint", s.endpoint.to_string()}, {"via", s.via}});
    return {
        {"external_endpoints", std::move(seen)},
        {"port_mapping", session.port_mapping},
        {"room", config.room.name},
        {"security", security_name(config.room.security)},
        {"self", self_status(config, sender, session)},
        {"peers", std::move(list)},
        {"dropped_unlisted", session.dropped_unlisted},
        {"bad_requests", session.bad_requests},
        {"uptime_s", (now_us - session.started_us) / 1000000},
        {"recording",
         session.recording ? record_status_json(*session.recording) : nlohmann::json(nullptr)},
    };
}

}  // namespace meshcall
