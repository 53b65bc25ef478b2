// OpusAudioDecoder: real libopus packets (a 440 Hz tone), a lost one concealed and recovered.
#include <doctest/doctest.h>

#include <opus.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "daemon/receive/opus_decoder.hpp"

using namespace meshcall;

namespace {
constexpr int kFrame = 960;

// `count` packets of `frame` samples (20 ms unless told) of a 440 Hz tone at 0.5, mono (VoIP,
// in-band FEC on when `fec`; constant bitrate when `cbr`, as a call sends 40 ms packets).
std::vector<std::vector<uint8_t>> tone_packets(int count, bool fec, int frame = kFrame,
                                               bool cbr = false) {
    int err = 0;
    OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    REQUIRE(err == OPUS_OK);
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
    opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
    opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(fec ? 10 : 0));
    opus_encoder_ctl(enc, OPUS_SET_VBR(cbr ? 0 : 1));
    std::vector<std::vector<uint8_t>> out;
    std::vector<float> pcm(static_cast<std::size_t>(frame));
    for (int k = 0; k < count; ++k) {
        for (int i = 0; i < frame; ++i)
            pcm[i] = 0.5f * std::sin(2 * M_PI * 440 * double(k * frame + i) / 48000);
        std::vector<uint8_t> p(1500);
        const int n = opus_encode_float(enc, pcm.data(), frame, p.data(), int(p.size()));
        REQUIRE(n > 0);
        p.resize(std::size_t(n));
        out.push_back(std::move(p));
    }
    opus_encoder_destroy(enc);
    return out;
}

double rms(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return v.empty() ? 0 : std::sqrt(s / double(v.size()));
}
}  // namespace

TEST_CASE("opus decoder: decodes 20 ms packets to mono 48 kHz") {
    auto packets = tone_packets(20, false);
    OpusAudioDecoder dec(1);
    std::vector<float> out;
    for (auto& p : packets) {
        CHECK(OpusAudioDecoder::packet_samples(p) == kFrame);
        CHECK(dec.decode(p, out) == kFrame);
    }
    CHECK(rms(out) == doctest::Approx(0.5 / std::sqrt(2)).epsilon(0.25));
}

TEST_CASE("opus decoder: a lost packet is made up, tone-like, from before it and from the next") {
    for (bool fec : {false, true}) {
        CAPTURE(fec);
        auto packets = tone_packets(30, fec);
        OpusAudioDecoder dec(1);
        std::vector<float> out;
        for (int k = 0; k < 25; ++k) dec.decode(packets[k], out);
        const double level = rms(out);
        // Packet 25 lost: 20 ms made up from 26 (its FEC where it has any), then 26 itself.
        CHECK(dec.conceal(kFrame, packets[26], out) == kFrame);
        CHECK(rms(out) > 0.3 * level);
        CHECK(dec.decode(packets[26], out) == kFrame);
        CHECK(rms(out) > 0.5 * level);
        // Three lost with nothing after them yet (plain concealment); rounded to 2.5 ms steps.
        CHECK(dec.conceal(3 * kFrame + 7, {}, out) == 3 * kFrame);
    }
}

TEST_CASE("opus decoder: a lost 40 ms packet: its second half recovered from the next one's FEC") {
    // What a meshcall sender sends (AudioEncoder): 40 ms, constant bitrate, in-band FEC. The
    // same loss made up by two decoders: from the next packet, and by plain concealment.
    auto packets = tone_packets(30, true, 2 * kFrame, true);
    OpusAudioDecoder with_fec(1), plain(1);
    std::vector<float> out, guessed;
    for (int k = 0; k < 25; ++k) {
        CHECK(with_fec.decode(packets[k], out) == 2 * kFrame);
        CHECK(plain.decode(packets[k], guessed) == 2 * kFrame);
    }
    const double level = rms(out);
    CHECK(with_fec.conceal(2 * kFrame, packets[26], out) == 2 * kFrame);
    CHECK(plain.conceal(2 * kFrame, {}, guessed) == 2 * kFrame);
    auto half = [](const std::vector<float>& v, int k) {
        return std::vector<float>(v.begin() + k * kFrame, v.begin() + (k + 1) * kFrame);
    };
    MESSAGE("level " << level << "; made up from FEC: " << rms(half(out, 0)) << " then "
                     << rms(half(out, 1)) << ", concealed: " << rms(half(guessed, 0)) << " then "
                     << rms(half(guessed, 1)));
    // The next packet's FEC brings back the second 20 ms (libopus conceals the first alike
    // either way): far more of the tone than concealment keeps after 20 ms.
    CHECK(rms(half(out, 1)) > 2 * rms(half(guessed, 1)));
    CHECK(rms(out) > 0.3 * level);
    CHECK(with_fec.decode(packets[26], out) == 2 * kFrame);
    CHECK(rms(out) > 0.5 * level);
}

TEST_CASE("opus decoder: stereo decoders downmix, bad input is refused") {
    auto packets = tone_packets(3, false);
    OpusAudioDecoder stereo(2);
    std::vector<float> out;
    CHECK(stereo.decode(packets[0], out) == kFrame);
    CHECK(out.size() == std::size_t(kFrame));
    const std::vector<uint8_t> garbage{0xff, 0xff, 0xff};
    CHECK(stereo.decode(garbage, out) < 0);
    CHECK(out.empty());
    CHECK(stereo.decode({}, out) < 0);
    CHECK(OpusAudioDecoder::packet_samples({}) < 0);
    CHECK_THROWS_AS(OpusAudioDecoder(6), std::invalid_argument);
}
