// PeerReceiver: one peer's receive thread: the demuxer loop and the dispatch to each stage.
#include "daemon/receive/peer_receiver.hpp"

#include <algorithm>
#include <vector>

#include "daemon/receive/audio_decoder.hpp"
#include "daemon/receive/ts_demuxer.hpp"
#include "daemon/receive/video_decoder.hpp"
#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

extern "C" {
#include <libavutil/time.h>
}

namespace meshcall {

namespace {

constexpr int64_t kMaxPixelsCap = 1920 * 1080;

bool whitelisted(AVCodecID id) {
    // What meshcall sends (H.264, Opus), plus what a stock ffmpeg sender sends by default
    // for audio into MPEG-TS (MP2, which the TS demuxer labels MP3 for stream types 3 and 4,
    // the MPEG audio decoder handling every layer) and the other common choice (AAC).
    return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_OPUS || id == AV_CODEC_ID_MP2 ||
           id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_AAC;
}

}  // namespace

struct PeerReceiver::Stages {
    VideoDecoder video;
    AudioDecoder audio;
    std::vector<int> rejected;  // stream indices refused (not on the whitelist)
};

PeerReceiver::PeerReceiver(std::string name, const VideoSettings& room_video,
                           DatagramReader::Clock clock, const PlayoutClock* playout)
    : name_(std::move(name)),
      max_pixels_(std::min<int64_t>(
          kMaxPixelsCap,
          std::max<int64_t>(int64_t{2} * room_video.width * room_video.height, 640 * 480))),
      av_sync_(playout),
      reader_(name_, queue_, stop_, stats_, clock, [this] {
          opus_.play();
          return std::chrono::microseconds(opus_.wait_us());
      }) {}

PeerReceiver::~PeerReceiver() {
    stop();
}

int64_t PeerReceiver::default_clock() {
    return av_gettime_relative();
}

void PeerReceiver::start() {
    thread_ = std::thread([this] { run_thread("recv:" + name_, [this] { run(); }); });
}

void PeerReceiver::stop() {
    stop_ = true;
    queue_.close();
    if (thread_.joinable()) thread_.join();
}

void PeerReceiver::run() {
    bool first = true;
    while (!stop_) {
        if (!first) stats_.restarts.fetch_add(1, std::memory_order_relaxed);
        first = false;
        run_demuxer();
        if (!reader_.reset_seen() && !stop_) av_usleep(50'000);  // a broken stream: don't spin
    }
}

void PeerReceiver::open_stream(const AVStream& st, Stages& stages) {
    const AVCodecParameters* par = st.codecpar;
    if (!whitelisted(par->codec_id)) {
        spdlog::info("{}: ignoring a {} stream (not a codec meshcall accepts)", name_,
                     avcodec_get_name(par->codec_id));
        stages.rejected.push_back(st.index);
        stats_.rejected_streams.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // A new or changed stream replaces the old decoder.
    std::string error;
    const bool video = par->codec_type == AVMEDIA_TYPE_VIDEO;
    if (!(video ? stages.video.open(st, error) : stages.audio.open(st, error)))
        spdlog::debug("{}: {}", name_, error);
    if (video) return;
    // Mono or stereo Opus goes through libopus (concealment); more channels (multistream)
    // through libavcodec. TS may not say: stereo decodes both.
    const int ch = par->ch_layout.nb_channels;
    const bool own = par->codec_id == AV_CODEC_ID_OPUS && ch <= 2;
    opus_.reset(own ? (ch == 1 ? 1 : 2) : 0);
}

void PeerReceiver::dispatch(const AVStream& st, const AVPacket* pkt, Stages& stages) {
    const AVCodecParameters* par = st.codecpar;
    const bool video = par->codec_type == AVMEDIA_TYPE_VIDEO;
    if (video) {
        stats_.has_video_stream = true;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
        stats_.has_audio_stream = true;
    } else {
        return;
    }
    const auto& rejected = stages.rejected;
    const bool known_rejected =
        std::find(rejected.begin(), rejected.end(), pkt->stream_index) != rejected.end();
    const int current = video ? stages.video.stream() : stages.audio.stream();
    if (!known_rejected && current != pkt->stream_index) open_stream(st, stages);

    if (video) {
        if (stages.video.decodes(pkt->stream_index)) stages.video.decode(pkt);
    } else if (!stages.audio.decodes(pkt->stream_index)) {
        return;
    } else if (par->codec_id == AV_CODEC_ID_OPUS && opus_.active()) {
        opus_.push_pes(pkt, st.time_base);
    } else if (par->codec_id == AV_CODEC_ID_OPUS) {
        stages.audio.decode_opus_pes(pkt);
    } else {
        stages.audio.decode(pkt);
    }
}

void PeerReceiver::run_demuxer() {
    reader_.begin();
    opus_.reset(0);
    av_sync_.reset();
    TsDemuxer demuxer;
    const int rc =
        demuxer.open([this](uint8_t* buf, int size) { return reader_.read(buf, size); }, stop_);
    if (rc < 0) {
        if (!stop_ && !reader_.reset_seen())
            spdlog::info("{}: not an MPEG-TS stream: {}", name_, av_error_text(rc));
        return;
    }
    spdlog::info("{}: receiving", name_);
    Stages stages{VideoDecoder(stats_, video_, max_pixels_, &av_sync_), AudioDecoder(stats_, sound_),
                  {}};
    PacketPtr pkt = make_packet();
    while (!stop_ && pkt) {
        const int r = demuxer.read(pkt.get());
        if (r == AVERROR(EAGAIN)) continue;
        if (r < 0) break;
        dispatch(demuxer.stream(pkt->stream_index), pkt.get(), stages);
        av_packet_unref(pkt.get());
    }
    if (!stop_) video_.clear();
    spdlog::info("{}: stream ended{}", name_, reader_.reset_seen() ? " (sender restarted)" : "");
}

}  // namespace meshcall
