// Resampler: converts decoded sound to one packed float format (channel layout, rate), owning
// its SwrContext and rebuilding it when the input's sample format, rate or channel layout
// changes mid-stream (MP2 and AAC may; a converter built for stereo crashes on mono). One
// thread: its owner's.
#pragma once

#include <vector>

#include "daemon/util/av_ptr.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace meshcall {

class Resampler {
  public:
    // Output: interleaved AV_SAMPLE_FMT_FLT, `out_channels` in their default layout (1: mono),
    // at `out_rate`.
    Resampler(int out_channels, int out_rate);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    // Builds the converter for `in`'s format, or rebuilds it when that differs from the one it
    // was built for. Returns 0, or the AVERROR code of the swr call that failed (the converter
    // is then gone, and the next call tries again).
    [[nodiscard]] int configure(const AVFrame& in);
    // Converts `in` (configuring first if needed) into `out`, resized to what came out.
    // Returns the samples per channel written (0 when swr holds them back for now), or an
    // AVERROR code.
    [[nodiscard]] int convert(const AVFrame& in, std::vector<float>& out);
    // Drops the converter and whatever it buffered (a new stream starts).
    void reset();

    // How many converters were built (the first one included); for tests.
    int builds() const { return builds_; }

  private:
    bool matches(const AVFrame& in) const;

    SwrContextPtr swr_;
    AVChannelLayout out_layout_{};
    int out_rate_;
    // What swr_ was built for.
    AVChannelLayout in_layout_{};
    int in_format_ = -1;
    int in_rate_ = 0;
    int builds_ = 0;
};

}  // namespace meshcall
