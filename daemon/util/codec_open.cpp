// open_decoder: finding, configuring and opening a stream's decoder.
#include "daemon/util/codec_open.hpp"

namespace meshcall {

CodecContextPtr open_decoder(const AVStream& stream, const DecoderOptions& options,
                             std::string& error) {
    const AVCodecID id = stream.codecpar->codec_id;
    const AVCodec* codec = avcodec_find_decoder(id);
    if (!codec) {
        error = std::string("no decoder for ") + avcodec_get_name(id);
        return nullptr;
    }
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx) {
        error = std::string("cannot allocate the ") + codec->name + " decoder";
        return nullptr;
    }
    if (int rc = avcodec_parameters_to_context(ctx.get(), stream.codecpar); rc < 0) {
        error =
            std::string("cannot configure the ") + codec->name + " decoder: " + av_error_text(rc);
        return nullptr;
    }
    ctx->thread_count = 1;
    if (options.low_delay) ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    if (options.max_pixels > 0) ctx->max_pixels = options.max_pixels;
    ctx->pkt_timebase = stream.time_base;
    if (int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0) {
        error = std::string("cannot open the ") + codec->name + " decoder: " + av_error_text(rc);
        return nullptr;
    }
    return ctx;
}

}  // namespace meshcall
