// TsDemuxer: libavformat's MPEG-TS demuxer over a custom AVIO (a read function), opened with no
// probing and no parser, abortable through its interrupt callback; owns the AVFormatContext
// and AVIOContext. One thread: the receiver that opened it (read() calls the read function
// there); `stop` may be set from any thread to abort a blocking call.
#pragma once

#include <atomic>
#include <functional>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

class TsDemuxer {
  public:
    // AVIO read: up to `size` bytes into `buf`; returns the count, or an AVERROR (AVERROR_EOF).
    using ReadFn = std::function<int(uint8_t* buf, int size)>;

    TsDemuxer() = default;
    TsDemuxer(const TsDemuxer&) = delete;  // libav holds `this`
    TsDemuxer& operator=(const TsDemuxer&) = delete;

    // Opens the demuxer on `read`; reads until it has the stream's tables. Returns 0 or an
    // AVERROR code. Call once.
    [[nodiscard]] int open(ReadFn read, const std::atomic<bool>& stop);
    // The next packet (av_read_frame): 0, AVERROR(EAGAIN), or another AVERROR at the end.
    [[nodiscard]] int read(AVPacket* pkt);
    AVStream& stream(int index) const { return *format_->streams[index]; }

  private:
    static int read_packet(void* opaque, uint8_t* buf, int size);
    static int interrupt(void* opaque);

    ReadFn read_;
    const std::atomic<bool>* stop_ = nullptr;
    AVIOContextPtr io_;  // declared first: freed after the format context that uses it
    InputContextPtr format_;
};

}  // namespace meshcall
