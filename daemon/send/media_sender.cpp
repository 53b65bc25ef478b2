// MediaSender: encode each layer once, send each peer its layer.
#include "daemon/send/media_sender.hpp"

#include <algorithm>

#include "daemon/view/tile_layer.hpp"

#include "daemon/util/log.hpp"
#include "daemon/util/thread_check.hpp"
#include "daemon/util/thread_entry.hpp"
#include "protocol/peer_message.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

namespace {
std::vector<FanoutPeer> others(const Room& room, int self) {
    std::vector<FanoutPeer> out;
    const auto from = static_cast<std::size_t>(self);
    for (std::size_t i = 0; i < room.peers.size(); ++i)
        if (i != from)
            out.push_back({room.peers[i].name, room.destination(i, from), room.peers[i].receives(),
                           room.peers[i].role == PeerRole::participant});
    return out;
}

// The layer a headless participant asks for (a 1280x720 grid of everyone who sends): what a
// participant is sent before its first report says otherwise.
int headless_layer(const Room& room, const std::vector<LayerSpec>& layers) {
    int tiles = 0;
    for (const auto& p : room.peers) tiles += p.sends();
    return layer_for_grid(layers, tiles, kHeadlessGridWidth, kHeadlessGridHeight, room.video.width,
                          room.video.height);
}

SendQueueGate::Settings gate_settings(const Room& room, int self) {
    SendQueueGate::Settings s;
    s.nominal_bytes_per_s =
        SendQueueGate::nominal_rate(room.upload_kbps(static_cast<std::size_t>(self)));
    return s;
}
}  // namespace

MediaSender::MediaSender(const Room& room, int self, OpenedCapture capture, int fd,
                         LatestFrame& self_view, const std::optional<Key32>& private_key,
                         uint64_t epoch)
    : capture_(std::move(capture)),
      fanout_(fd, others(room, self), gate_settings(room, self),
              std::make_unique<Sealer>(room, static_cast<std::size_t>(self), private_key,
                                       epoch ? epoch : new_epoch())),
      self_view_(self_view),
      name_(room.peers[static_cast<std::size_t>(self)].name),
      encrypted_(room.encrypted()) {
    bool has_video = false, has_audio = false;
    for (const auto& in : capture_.inputs) {
        has_video = has_video || in->has_video();
        has_audio = has_audio || in->has_audio();
    }
    if (has_audio) audio_.emplace(room.audio);
    const AVCodecContext* audio = audio_ ? audio_->context() : nullptr;
    layer_specs_ = video_layers(room.video);
    default_layer_ = headless_layer(room, layer_specs_);
    wanted_ = std::vector<std::atomic<int>>(fanout_.size());
    control_ = std::make_unique<LayerControl>(layer_specs_, room.audio.bitrate_kbps,
                                              fanout_.size(), default_layer_);
    if (has_video) {
        layer_bytes_.assign(layer_specs_.size(), 0);
        layer_kbps_.assign(layer_specs_.size(), 0.0);
        for (std::size_t k = 0; k < layer_specs_.size(); ++k) {
            const int layer = static_cast<int>(k);
            layers_.push_back(std::make_unique<LayerStream>(
                layer_specs_[k], room.video, k + 1 == layer_specs_.size(), name_, audio,
                [this, layer](std::span<const uint8_t> d) {
                    layer_bytes_[static_cast<std::size_t>(layer)] += d.size();
                    fanout_.send(d, false, false, layer);
                }));
        }
    } else if (audio) {
        audio_only_ = std::make_unique<TsMuxer>(name_, nullptr, audio,
                                                [this](std::span<const uint8_t> d) { fanout_.send(d); });
    }
    // Stock viewers get the layer their entry names (the largest by default) from the start;
    // participants a first guess until their reports come.
    const int top = static_cast<int>(layer_specs_.size()) - 1;
    for (std::size_t i = 0; i < fanout_.size(); ++i) {
        const int r = room.index_of(fanout_.peer(i).name);
        const PeerEntry& e = room.peers[static_cast<std::size_t>(r)];
        const int layer = e.role == PeerRole::viewer ? (e.layer >= 0 ? e.layer : top) : -1;
        participant_.push_back(e.role == PeerRole::participant);
        wanted_[i].store(layer >= 0 ? layer : default_layer_, std::memory_order_relaxed);
        if (layer >= 0 && has_video) fanout_.set_layer(i, layer);
    }
}

uint64_t MediaSender::encode_errors() const {
    uint64_t n = audio_ ? audio_->failures() : 0;
    for (const auto& l : layers_) n += l->encoder().failures();
    return n;
}

MediaSender::~MediaSender() {
    stop();
}

void MediaSender::start() {
    lifecycle_.bind();
    origin_us_ = av_gettime_relative();
    for (auto& in : capture_.inputs) in->start(queue_);
    thread_ = std::thread([this] { run_thread("send", [this] { run(); }); });
}

void MediaSender::stop() {
    MESHCALL_ASSERT_THREAD(lifecycle_);
    queue_.close();
    for (auto& in : capture_.inputs) in->stop();
    if (thread_.joinable()) thread_.join();
}

void MediaSender::send_presence(bool leaving) {
    PeerMessage m;
    m.name = name_;
    m.seq = ++presence_seq_;
    m.audio_muted = audio_muted_;
    m.video_muted = video_muted_;
    m.leaving = leaving;
    const auto packet = encode_peer_message(m, presence_cc_++);
    fanout_.send(packet, /*presence=*/true);
}

void MediaSender::on_receiver_report(std::size_t peer, const ReceiverReportEntry& entry,
                                     int64_t now_us) {
    (void)now_us;
    if (peer >= participant_.size() || !participant_[peer]) return;
    // A new wish (a tile resized, focused) is acted on at the next frame, not the next tick.
    if (control_->on_report(peer, entry, now_us)) choose_now_ = true;
}

void MediaSender::choose_layers(int64_t now_us) {
    const double dt = last_choice_us_ < 0 ? 0 : double(now_us - last_choice_us_) / 1e6;
    last_choice_us_ = now_us;
    // The upload budget: what the uplink drains while our queue builds; once it stops
    // building, raised 8 % a second until nothing holds it (then none).
    const SendQueueGate& gate = fanout_.gate();
    if (gate.saturated() && gate.drain_kbps() > 0) {
        budget_kbps_ = 0.8 * gate.drain_kbps();  // headroom for IDRs and the switches
    } else if (budget_kbps_ > 0) {
        budget_kbps_ *= 1.0 + 0.08 * dt;
        const double all = double(fanout_.size()) * (layer_specs_.back().kbps + 100.0);
        if (budget_kbps_ > all) budget_kbps_ = 0;
    }
    budget_out_.store(budget_kbps_, std::memory_order_relaxed);
    // Each layer's rate over windows of at least a second (IP and UDP headers included, ~28
    // bytes a datagram of up to 1316: 2 %); a layer not sent keeps its last figure.
    if (layer_window_us_ < 0) layer_window_us_ = now_us;
    if (now_us - layer_window_us_ >= 1'000'000) {
        const double secs = double(now_us - layer_window_us_) / 1e6;
        for (std::size_t k = 0; k < layer_bytes_.size(); ++k) {
            if (layer_bytes_[k] == 0) continue;
            const double kbps = double(layer_bytes_[k]) * 8 * 1.02 / 1000 / secs;
            layer_kbps_[k] = layer_kbps_[k] > 0 ? 0.5 * layer_kbps_[k] + 0.5 * kbps : kbps;
            layer_bytes_[k] = 0;
        }
        layer_window_us_ = now_us;
        control_->set_measured(layer_kbps_);
    }
    std::vector<bool> active(fanout_.size());
    for (std::size_t p = 0; p < active.size(); ++p)
        active[p] = participant_[p] && fanout_.peer(p).receives && !fanout_.backed_off(p);
    const std::vector<int> chosen = control_->update(now_us, active, budget_kbps_);
    for (std::size_t p = 0; p < chosen.size(); ++p)
        if (chosen[p] >= 0) wanted_[p].store(chosen[p], std::memory_order_relaxed);
}

void MediaSender::set_receiver_report(std::vector<ReceiverReportEntry> entries) {
    std::lock_guard lock(report_mutex_);
    // A changed wish goes out at once (the next loop of the send thread), not at the next tick.
    bool changed = !receiver_report_ || receiver_report_->size() != entries.size();
    for (std::size_t i = 0; !changed && i < entries.size(); ++i)
        changed = (*receiver_report_)[i].want_layer != entries[i].want_layer;
    if (changed) report_now_ = true;
    receiver_report_ = std::move(entries);
}

void MediaSender::send_receiver_report() {
    std::vector<ReceiverReportEntry> entries;
    {
        std::lock_guard lock(report_mutex_);
        if (!receiver_report_) return;
        entries = *receiver_report_;
    }
    const auto packet = encode_receiver_report(entries, presence_cc_++);
    // Not as presence: a backed-off peer (silent) needs none, and the gate may drop one.
    fanout_.send(packet, /*presence=*/false, /*members_only=*/false, /*layer=*/-1,
                 /*participants_only=*/true);
}

void MediaSender::send_video(const AVFrame* frame, int64_t rel_us, int64_t wall_us, bool refresh) {
    const std::size_t n = layers_.size();
    // Which layers peers are to be moved to, and which are sent at all.
    std::vector<bool> target(n, false), used(n, false);
    for (std::size_t p = 0; p < wanted_.size(); ++p) {
        if (!fanout_.peer(p).receives) continue;
        const int want = wanted_[p].load(std::memory_order_relaxed);
        const int now = fanout_.layer(p);
        if (now >= 0 && static_cast<std::size_t>(now) < n) used[static_cast<std::size_t>(now)] = true;
        if (want >= 0 && want != now && static_cast<std::size_t>(want) < n)
            target[static_cast<std::size_t>(want)] = true;
    }
    // Layers that peers move to go first: their IDR is the switch, and a peer that moves gets
    // no picture of this instant from its old layer.
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k < n; ++k)
        if (target[k]) order.push_back(k);
    for (std::size_t k = 0; k < n; ++k)
        if (!target[k] && used[k]) order.push_back(k);
    for (std::size_t k = 0; k < n; ++k)
        if (!target[k] && !used[k]) layers_[k]->set_idle();
    for (std::size_t k : order) {
        LayerStream& layer = *layers_[k];
        if (!target[k] && !layer.due(rel_us)) continue;
        // Only peers no longer on it (all moved away this instant): leave it idle.
        bool anyone = target[k];
        for (std::size_t p = 0; p < wanted_.size() && !anyone; ++p)
            anyone = fanout_.layer(p) == static_cast<int>(k);
        if (!anyone) {
            layer.set_idle();
            continue;
        }
        layer.encode(frame, rel_us, wall_us, refresh || target[k], [&](const AVPacket* pkt) {
            if (!target[k] || !(pkt->flags & AV_PKT_FLAG_KEY)) return;
            for (std::size_t p = 0; p < wanted_.size(); ++p)
                if (wanted_[p].load(std::memory_order_relaxed) == static_cast<int>(k))
                    fanout_.set_layer(p, static_cast<int>(k));
        });
    }
}

void MediaSender::set_endpoint_report(std::vector<ReportedEndpoint> entries) {
    std::lock_guard lock(report_mutex_);
    report_ = std::move(entries);
}

void MediaSender::send_endpoint_report() {
    if (!encrypted_) return;
    std::vector<ReportedEndpoint> entries;
    {
        std::lock_guard lock(report_mutex_);
        if (!report_) return;
        entries = *report_;
    }
    const auto packets = encode_endpoint_report(entries, presence_cc_);
    presence_cc_ = static_cast<uint8_t>(presence_cc_ + packets.size());
    std::vector<uint8_t> datagram;
    for (std::size_t k = 0; k < packets.size() && k < kTsPerDatagram; ++k)
        datagram.insert(datagram.end(), packets[k].begin(), packets[k].end());
    fanout_.send(datagram, /*presence=*/true, /*members_only=*/true);
}

void MediaSender::run() {
    bool video_was_muted = false;
    constexpr int64_t kPresencePeriodUs = 500'000;
    int64_t last_presence_us = -kPresencePeriodUs;
    constexpr int64_t kReportPeriodUs = 1'000'000;
    int64_t last_report_us = -kReportPeriodUs;
    constexpr int64_t kFeedbackPeriodUs = 250'000;
    int64_t last_feedback_us = -kFeedbackPeriodUs;
    bool sent_audio_muted = false, sent_video_muted = false;
    CapturedFrame c;
    for (;;) {
        // Presence every 500 ms, and at once when a mute changes: peers see it within 1 s.
        const int64_t now = av_gettime_relative();
        if (now - last_presence_us >= kPresencePeriodUs || sent_audio_muted != audio_muted_ ||
            sent_video_muted != video_muted_) {
            sent_audio_muted = audio_muted_;
            sent_video_muted = video_muted_;
            send_presence(false);
            last_presence_us = now;
        }
        if (now - last_report_us >= kReportPeriodUs) {
            send_endpoint_report();
            last_report_us = now;
        }
        if (now - last_feedback_us >= kFeedbackPeriodUs || report_now_.exchange(false)) {
            send_receiver_report();
            last_feedback_us = now;
        }
        if (!layers_.empty() && (now - last_choice_us_ >= kFeedbackPeriodUs || choose_now_.exchange(false)))
            choose_layers(now);
        fanout_.gate().poll();  // an episode of a saturated upload ends when it goes quiet
        auto r = queue_.pop(c, std::chrono::milliseconds(100));
        if (r == CaptureQueue::Pop::closed) break;
        if (r == CaptureQueue::Pop::timeout) continue;
        const int64_t rel_us = c.mono_us - origin_us_;
        if (c.type == AVMEDIA_TYPE_VIDEO && !layers_.empty()) {
            if (video_muted_) {
                if (!video_was_muted) self_view_.clear();
                video_was_muted = true;
                continue;
            }
            self_view_.publish(c.frame.get());
            // The upload cannot take more now: skip the frame before encoding it, so the
            // decoders' references stay whole (SendQueueGate). The self view still shows it.
            if (!fanout_.gate().admit_frame()) continue;
            // Coming back from mute: a clean picture at once rather than after a refresh cycle;
            // likewise after the upload dropped pieces of pictures.
            const bool refresh = video_was_muted || refresh_requested_.exchange(false) ||
                                 fanout_.gate().take_refresh();
            video_was_muted = false;
            send_video(c.frame.get(), rel_us, c.wall_us, refresh);
            video_frames_.fetch_add(1, std::memory_order_relaxed);
            fanout_.gate().end_frame();
        } else if (c.type == AVMEDIA_TYPE_AUDIO && audio_) {
            if (audio_muted_) continue;
            audio_->encode(c.frame.get(), rel_us, [this](AVPacket* p) {
                if (audio_only_) audio_only_->write_audio(p);
                for (std::size_t k = 0; k < layers_.size(); ++k) {
                    bool sent = false;  // a layer nobody is sent now muxes nothing
                    for (std::size_t q = 0; q < fanout_.size() && !sent; ++q)
                        sent = fanout_.layer(q) == static_cast<int>(k);
                    if (sent) layers_[k]->write_audio(p);
                }
                audio_frames_.fetch_add(1, std::memory_order_relaxed);
            });
        }
    }
    layers_.clear();  // the streams' last bytes, then the goodbye
    audio_only_.reset();
    // Leaving: told three times, in case one is lost.
    for (int i = 0; i < 3; ++i) send_presence(true);
    spdlog::debug("send thread done");
}

}  // namespace meshcall
