// TsMuxer: low-latency MPEG-TS muxing into datagrams.
#include "daemon/send/ts_muxer.hpp"

#include <stdexcept>

#include "daemon/util/log.hpp"
#include "protocol/ts_packet.hpp"

namespace meshcall {

namespace {
AVStream* add_stream(AVFormatContext* oc, const AVCodecContext* enc) {
    AVStream* st = avformat_new_stream(oc, nullptr);
    if (!st) throw std::runtime_error("cannot add a stream to the TS muxer");
    avcodec_parameters_from_context(st->codecpar, enc);
    st->time_base = enc->time_base;
    return st;
}
}  // namespace

TsMuxer::TsMuxer(const std::string& name, const AVCodecContext* video, const AVCodecContext* audio,
                 OnDatagram on_datagram)
    : on_datagram_(std::move(on_datagram)) {
    AVFormatContext* raw = nullptr;
    if (avformat_alloc_output_context2(&raw, nullptr, "mpegts", nullptr) < 0 || !raw)
        throw std::runtime_error("this FFmpeg has no MPEG-TS muxer");
    oc_.reset(raw);
    // The AVIO buffer is exactly one datagram: every callback carries whole TS packets.
    auto* buffer = static_cast<uint8_t*>(av_malloc(kMaxDatagram));
    io_.reset(avio_alloc_context(buffer, static_cast<int>(kMaxDatagram), 1, this, nullptr,
                                 &TsMuxer::on_write, nullptr));
    if (!io_) {
        av_free(buffer);
        throw std::runtime_error("cannot allocate the TS output");
    }
    io_->seekable = 0;
    oc_->pb = io_.get();
    oc_->flags |= AVFMT_FLAG_FLUSH_PACKETS;
    oc_->max_delay = 0;
    av_dict_set(&oc_->metadata, "service_name", name.c_str(), 0);
    av_dict_set(&oc_->metadata, "service_provider", "meshcall", 0);
    if (video) {
        video_stream_ = add_stream(oc_.get(), video)->index;
        video_tb_ = video->time_base;
    }
    if (audio) {
        audio_stream_ = add_stream(oc_.get(), audio)->index;
        audio_tb_ = audio->time_base;
    }
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "omit_video_pes_length", "0",
                0);  // receivers emit a frame when its PES ends
    // As little audio batching as the muxer allows: it rounds this up to 170 bytes and holds
    // a smaller audio packet until the next one comes (max_delay 0 then sends it alone);
    // write_audio() flushes it instead. AudioEncoder batches: 40 ms Opus packets sized to one
    // TS packet, each its own PES and datagram.
    av_dict_set(&opts, "pes_payload_size", "0", 0);
    av_dict_set(&opts, "pat_period", "0.25", 0);  // joiners start within a second
    av_dict_set(&opts, "sdt_period", "1", 0);
    av_dict_set(&opts, "flush_packets", "1", 0);
    int rc = avformat_write_header(oc_.get(), &opts);
    av_dict_free(&opts);
    if (rc < 0) throw std::runtime_error("cannot start the TS stream: " + av_error_text(rc));
    header_written_ = true;
}

TsMuxer::~TsMuxer() {
    if (header_written_) av_write_trailer(oc_.get());
    oc_.reset();  // before io_, which it points at
}

int TsMuxer::on_write(void* opaque, uint8_t* buf, int size) {
    auto* self = static_cast<TsMuxer*>(opaque);
    if (size > 0) self->on_datagram_({buf, static_cast<std::size_t>(size)});
    return size;
}

void TsMuxer::write(AVPacket* pkt, int stream, AVRational from) {
    if (stream < 0) return;
    pkt->stream_index = stream;
    av_packet_rescale_ts(pkt, from, oc_->streams[stream]->time_base);
    // av_write_frame, not the interleaving call: nothing waits for the other stream.
    int rc = av_write_frame(oc_.get(), pkt);
    if (rc < 0) spdlog::debug("TS muxer refused a packet: {}", av_error_text(rc));
    // An audio packet under the muxer's PES payload size (every 40 ms Opus packet) waits in
    // the muxer for the next one, a whole packet late; a null packet writes it out now.
    if (rc >= 0 && stream == audio_stream_) {
        rc = av_write_frame(oc_.get(), nullptr);
        if (rc < 0) spdlog::debug("TS muxer could not flush a sound packet: {}", av_error_text(rc));
    }
    avio_flush(oc_->pb);
}

void TsMuxer::write_video(AVPacket* pkt) {
    write(pkt, video_stream_, video_tb_);
}
void TsMuxer::write_audio(AVPacket* pkt) {
    write(pkt, audio_stream_, audio_tb_);
}

}  // namespace meshcall
