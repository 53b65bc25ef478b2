// TsDemuxer: opening and reading the mpegts demuxer on a custom AVIO.
#include "daemon/receive/ts_demuxer.hpp"

namespace meshcall {

namespace {
constexpr int kIoBufferSize = 64 * 1024;
}

int TsDemuxer::read_packet(void* opaque, uint8_t* buf, int size) {
    return static_cast<TsDemuxer*>(opaque)->read_(buf, size);
}

int TsDemuxer::interrupt(void* opaque) {
    return static_cast<TsDemuxer*>(opaque)->stop_->load(std::memory_order_relaxed) ? 1 : 0;
}

int TsDemuxer::open(ReadFn read, const std::atomic<bool>& stop) {
    read_ = std::move(read);
    stop_ = &stop;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
    if (!buffer) return AVERROR(ENOMEM);
    io_.reset(avio_alloc_context(buffer, kIoBufferSize, 0, this, &TsDemuxer::read_packet, nullptr,
                                 nullptr));
    if (!io_) {
        av_free(buffer);
        return AVERROR(ENOMEM);
    }
    io_->seekable = 0;
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) return AVERROR(ENOMEM);
    raw->pb = io_.get();
    // No probing (the codecs are known, streams come from the PMT) and no parser between
    // demuxer and decoder (it would hold each frame until the next one starts).
    raw->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOBUFFER;
    raw->probesize = 32 * 1024;
    raw->max_analyze_duration = 0;
    raw->max_streams = 8;
    raw->interrupt_callback = {&TsDemuxer::interrupt, this};
    const int rc = avformat_open_input(&raw, nullptr, av_find_input_format("mpegts"), nullptr);
    if (rc < 0) return rc;  // avformat_open_input freed `raw`
    format_.reset(raw);
    return 0;
}

int TsDemuxer::read(AVPacket* pkt) {
    return av_read_frame(format_.get(), pkt);
}

}  // namespace meshcall
