// Resampler: a libswresample converter that follows its input's format.
#include "daemon/util/resampler.hpp"

namespace meshcall {

Resampler::Resampler(int out_channels, int out_rate) : out_rate_(out_rate) {
    av_channel_layout_default(&out_layout_, out_channels);  // a native layout: nothing allocated
}

Resampler::~Resampler() {
    av_channel_layout_uninit(&out_layout_);
    av_channel_layout_uninit(&in_layout_);
}

void Resampler::reset() {
    swr_.reset();
    av_channel_layout_uninit(&in_layout_);
    in_format_ = -1;
    in_rate_ = 0;
}

bool Resampler::matches(const AVFrame& in) const {
    return in.format == in_format_ && in.sample_rate == in_rate_ &&
           av_channel_layout_compare(&in.ch_layout, &in_layout_) == 0;
}

int Resampler::configure(const AVFrame& in) {
    if (swr_ && matches(in)) return 0;
    reset();
    SwrContext* s = nullptr;
    // FFmpeg 5.1 declares the layouts non-const; swr only reads them.
    auto* in_layout = const_cast<AVChannelLayout*>(&in.ch_layout);
    int rc =
        swr_alloc_set_opts2(&s, &out_layout_, AV_SAMPLE_FMT_FLT, out_rate_, in_layout,
                            static_cast<AVSampleFormat>(in.format), in.sample_rate, 0, nullptr);
    SwrContextPtr swr(s);  // swr_alloc_set_opts2 may leave a context behind even on failure
    if (rc < 0) return rc;
    if (rc = swr_init(swr.get()); rc < 0) return rc;
    if (rc = av_channel_layout_copy(&in_layout_, &in.ch_layout); rc < 0) return rc;
    swr_ = std::move(swr);
    in_format_ = in.format;
    in_rate_ = in.sample_rate;
    ++builds_;
    return 0;
}

int Resampler::convert(const AVFrame& in, std::vector<float>& out) {
    out.clear();
    if (int rc = configure(in); rc < 0) return rc;
    const int capacity = swr_get_out_samples(swr_.get(), in.nb_samples);
    if (capacity <= 0) return capacity;
    out.resize(static_cast<std::size_t>(capacity) *
               static_cast<std::size_t>(out_layout_.nb_channels));
    uint8_t* planes[1] = {reinterpret_cast<uint8_t*>(out.data())};
    const int n = swr_convert(swr_.get(), planes, capacity,
                              const_cast<const uint8_t**>(in.extended_data), in.nb_samples);
    out.resize(n > 0
                   ? static_cast<std::size_t>(n) * static_cast<std::size_t>(out_layout_.nb_channels)
                   : 0);
    return n;
}

}  // namespace meshcall
