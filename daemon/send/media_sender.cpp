// MediaSender: encode once, send N-1 times.
#include "daemon/send/media_sender.hpp"

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
            out.push_back(
                {room.peers[i].name, room.destination(i, from), room.peers[i].receives()});
    return out;
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
    if (has_video) video_.emplace(room.video);
    if (has_audio) audio_.emplace(room.audio);
    if (has_video || has_audio) {
        muxer_ = std::make_unique<TsMuxer>(room.peers[static_cast<std::size_t>(self)].name,
                                           video_ ? video_->context() : nullptr,
                                           audio_ ? audio_->context() : nullptr,
                                           [this](std::span<const uint8_t> d) { fanout_.send(d); });
    }
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
        fanout_.gate().poll();  // an episode of a saturated upload ends when it goes quiet
        auto r = queue_.pop(c, std::chrono::milliseconds(100));
        if (r == CaptureQueue::Pop::closed) break;
        if (r == CaptureQueue::Pop::timeout) continue;
        const int64_t rel_us = c.mono_us - origin_us_;
        if (c.type == AVMEDIA_TYPE_VIDEO && video_) {
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
            video_->encode(c.frame.get(), rel_us, c.wall_us, refresh, [this](AVPacket* p) {
                muxer_->write_video(p);
                video_frames_.fetch_add(1, std::memory_order_relaxed);
            });
            fanout_.gate().end_frame();
        } else if (c.type == AVMEDIA_TYPE_AUDIO && audio_) {
            if (audio_muted_) continue;
            audio_->encode(c.frame.get(), rel_us, [this](AVPacket* p) {
                muxer_->write_audio(p);
                audio_frames_.fetch_add(1, std::memory_order_relaxed);
            });
        }
    }
    muxer_.reset();  // the stream's last bytes, then the goodbye
    // Leaving: told three times, in case one is lost.
    for (int i = 0; i < 3; ++i) send_presence(true);
    spdlog::debug("send thread done");
}

}  // namespace meshcall
