// Tests daemon/util/codec_open: a decoder opened from a stream's parameters with meshcall's
// options, and refusals in words.
#include "daemon/util/codec_open.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace meshcall;

namespace {
struct FormatFree {
    void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
}  // namespace

TEST_CASE("open_decoder: H.264 with one thread, low delay and a pixel limit") {
    std::unique_ptr<AVFormatContext, FormatFree> fmt(avformat_alloc_context());
    REQUIRE(fmt);
    AVStream* st = avformat_new_stream(fmt.get(), nullptr);
    REQUIRE(st);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_H264;
    st->time_base = {1, 90000};
    std::string error;
    CodecContextPtr ctx = open_decoder(*st, DecoderOptions{640 * 480, true}, error);
    REQUIRE_MESSAGE(ctx, error);
    CHECK(ctx->thread_count == 1);
    CHECK((ctx->flags & AV_CODEC_FLAG_LOW_DELAY) != 0);
    CHECK(ctx->max_pixels == 640 * 480);
    CHECK(ctx->pkt_timebase.den == 90000);
}

TEST_CASE("open_decoder: a codec with no decoder is named") {
    std::unique_ptr<AVFormatContext, FormatFree> fmt(avformat_alloc_context());
    REQUIRE(fmt);
    AVStream* st = avformat_new_stream(fmt.get(), nullptr);
    REQUIRE(st);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_NONE;
    std::string error;
    CHECK_FALSE(open_decoder(*st, DecoderOptions{}, error));
    CHECK(error == "no decoder for none");
}
