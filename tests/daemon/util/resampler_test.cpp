// Tests daemon/util/resampler with real libswresample: stereo then mono input (the converter is
// rebuilt, nothing crashes), rate conversion, pass-through, reset.
#include "daemon/util/resampler.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace meshcall;

namespace {

// A frame of `samples` at `rate`, `channels` planar floats, every sample `value`.
FramePtr constant_frame(int channels, int rate, int samples, float value) {
    FramePtr f = make_frame();
    REQUIRE(f);
    f->format = AV_SAMPLE_FMT_FLTP;
    f->sample_rate = rate;
    f->nb_samples = samples;
    av_channel_layout_default(&f->ch_layout, channels);
    REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
    for (int c = 0; c < channels; ++c) {
        auto* p = reinterpret_cast<float*>(f->extended_data[c]);
        for (int i = 0; i < samples; ++i) p[i] = value;
    }
    return f;
}

bool all_finite(const std::vector<float>& v) {
    for (float x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

}  // namespace

TEST_CASE("resampler: mono 48 kHz float passes through unchanged") {
    Resampler r(1, 48000);
    auto f = constant_frame(1, 48000, 960, 0.25f);
    std::vector<float> out;
    REQUIRE(r.convert(*f, out) == 960);
    REQUIRE(out.size() == 960);
    CHECK(out.front() == doctest::Approx(0.25f));
    CHECK(out.back() == doctest::Approx(0.25f));
    CHECK(r.builds() == 1);
}

TEST_CASE("resampler: stereo 44.1 kHz, then mono 48 kHz: rebuilt once for the change") {
    Resampler r(1, 48000);
    std::vector<float> out;
    int stereo_out = 0;
    for (int k = 0; k < 5; ++k) {
        auto f = constant_frame(2, 44100, 1152, 0.5f);
        const int n = r.convert(*f, out);
        REQUIRE(n >= 0);
        CHECK(out.size() == static_cast<std::size_t>(n));
        CHECK(all_finite(out));
        stereo_out += n;
    }
    CHECK(r.builds() == 1);
    // 5 × 1152 samples at 44.1 kHz are ~6269 at 48 kHz, less what the filter still holds.
    CHECK(stereo_out > 5800);
    CHECK(stereo_out <= 6270);
    CHECK(out.back() > 0.3f);  // both channels in the downmix

    auto mono = constant_frame(1, 48000, 960, 0.25f);
    REQUIRE(r.convert(*mono, out) == 960);
    CHECK(r.builds() == 2);
    CHECK(out.back() == doctest::Approx(0.25f));
    REQUIRE(r.convert(*mono, out) == 960);  // same format: no rebuild
    CHECK(r.builds() == 2);

    auto stereo = constant_frame(2, 44100, 1152, 0.5f);  // and back
    CHECK(r.convert(*stereo, out) >= 0);
    CHECK(r.builds() == 3);
}

TEST_CASE("resampler: reset drops the converter, and the next frame builds a new one") {
    Resampler r(1, 48000);
    auto f = constant_frame(1, 48000, 480, 0.1f);
    std::vector<float> out;
    REQUIRE(r.configure(*f) == 0);
    REQUIRE(r.configure(*f) == 0);
    CHECK(r.builds() == 1);
    r.reset();
    REQUIRE(r.convert(*f, out) == 480);
    CHECK(r.builds() == 2);
}

TEST_CASE("resampler: an input it cannot convert is an AVERROR, and the next good one works") {
    Resampler r(1, 48000);
    auto bad = constant_frame(1, 48000, 480, 0.1f);
    bad->sample_rate = 0;
    std::vector<float> out;
    const int rc = r.convert(*bad, out);
    CHECK(rc < 0);
    CHECK(out.empty());
    auto good = constant_frame(1, 48000, 480, 0.1f);
    CHECK(r.convert(*good, out) == 480);
}
