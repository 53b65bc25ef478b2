// Tests daemon/audio/wav_recorder: the WAV read back by libavformat (48 kHz mono s16, every
// sample pushed, the tone in it, the header's sizes right), readable while still recording; a
// write error stops the recording and nothing else; a file that cannot be opened is refused.
#include "daemon/audio/wav_recorder.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/tone.hpp"

using namespace meshcall;
using namespace std::chrono_literals;
using meshcall::test::read_file;
using meshcall::test::skip_test;
using meshcall::test::TempDir;
using meshcall::test::wait_until;

using meshcall::test::goertzel;

namespace {

struct Wav {
    int sample_rate = 0;
    int channels = 0;
    AVCodecID codec = AV_CODEC_ID_NONE;
    std::vector<float> samples;
};

// Reads a WAV with libavformat (the demuxer a player or ffprobe uses).
Wav read_wav(const std::string& path) {
    Wav wav;
    AVFormatContext* raw = nullptr;
    const int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    REQUIRE_MESSAGE(err == 0, path << ": " << av_error_text(err));
    InputContextPtr in(raw);
    REQUIRE(in->nb_streams == 1);
    const AVCodecParameters* par = in->streams[0]->codecpar;
    wav.sample_rate = par->sample_rate;
    wav.channels = par->ch_layout.nb_channels;
    wav.codec = par->codec_id;
    PacketPtr pkt = make_packet();
    REQUIRE(pkt);
    int ret;
    while ((ret = av_read_frame(in.get(), pkt.get())) >= 0) {
        for (int i = 0; i + 1 < pkt->size; i += 2)
            wav.samples.push_back(float(int16_t(pkt->data[i] | (pkt->data[i + 1] << 8))) / 32768.f);
        av_packet_unref(pkt.get());
    }
    CHECK_MESSAGE(ret == AVERROR_EOF, av_error_text(ret));
    return wav;
}

uint32_t le32(const std::string& b, std::size_t at) {
    return uint32_t(uint8_t(b[at])) | uint32_t(uint8_t(b[at + 1])) << 8 |
           uint32_t(uint8_t(b[at + 2])) << 16 | uint32_t(uint8_t(b[at + 3])) << 24;
}

// The size field of the "data" chunk, and where its samples start (walking the RIFF chunks).
std::pair<uint32_t, std::size_t> data_chunk(const std::string& b) {
    for (std::size_t at = 12; at + 8 <= b.size();) {
        const uint32_t size = le32(b, at + 4);
        if (b.compare(at, 4, "data") == 0) return {size, at + 8};
        at += 8 + size + (size & 1);
    }
    return {0, 0};
}

}  // namespace

TEST_CASE("wav recorder: a 48 kHz mono s16 WAV with every sample pushed and the tone in it") {
    TempDir dir;
    const std::string path = dir.file("mix.wav");
    constexpr std::size_t kSamples = 48000 + 123;  // not a whole number of blocks
    std::vector<float> tone(kSamples);
    for (std::size_t i = 0; i < kSamples; ++i)
        tone[i] = 0.5f * float(std::sin(2 * M_PI * 440.0 * double(i) / 48000));
    {
        WavRecorder recorder(path);
        // This thread is the audio thread: 20 ms blocks.
        for (std::size_t at = 0; at < kSamples; at += 960) {
            const std::size_t n = std::min<std::size_t>(960, kSamples - at);
            CHECK(recorder.push(std::span(tone).subspan(at, n)) == n);
        }
        // While still recording: the file grows and reads as a WAV up to where it is.
        REQUIRE(wait_until([&] { return recorder.samples_written() == kSamples; }, 5s));
        const Wav partial = read_wav(path);
        CHECK(partial.sample_rate == 48000);
        CHECK(partial.samples.size() == kSamples);
        // The header's sizes say "read to the end" until the trailer.
        const std::string bytes = read_file(path);
        CHECK(le32(bytes, 4) == 0xFFFFFFFFu);
        CHECK(data_chunk(bytes).first == 0xFFFFFFFFu);
        CHECK(!recorder.failed());
        CHECK(recorder.samples_dropped() == 0);
    }
    const Wav wav = read_wav(path);
    CHECK(wav.sample_rate == 48000);
    CHECK(wav.channels == 1);
    CHECK(wav.codec == AV_CODEC_ID_PCM_S16LE);
    REQUIRE(wav.samples.size() == kSamples);
    CHECK(wav.samples[12] == doctest::Approx(tone[12]).epsilon(0.001));
    const double a = goertzel(wav.samples, 440), other = goertzel(wav.samples, 1000);
    INFO("440 Hz " << a << ", 1000 Hz " << other);
    CHECK(a == doctest::Approx(0.25).epsilon(0.01));  // half the amplitude of a 0.5 sine
    CHECK(other < a / 100);
    // The trailer put the real sizes in the header.
    const std::string bytes = read_file(path);
    REQUIRE(bytes.size() > 44);
    CHECK(bytes.compare(0, 4, "RIFF") == 0);
    CHECK(le32(bytes, 4) == bytes.size() - 8);
    const auto [data_size, data_at] = data_chunk(bytes);
    CHECK(data_size == kSamples * 2);
    CHECK(data_at + data_size == bytes.size());
}

TEST_CASE("wav recorder: a write error stops the recording, once, and later pushes are ignored") {
    if (access("/dev/full", W_OK) != 0) {
        skip_test("no writable /dev/full here");
        return;
    }
    WavRecorder recorder("/dev/full");  // opens; every write fails with ENOSPC
    const std::vector<float> block(960, 0.1f);
    recorder.push(block);
    REQUIRE(wait_until([&] { return recorder.failed(); }, 5s));
    CHECK(recorder.push(block) == 0);
    CHECK(recorder.samples_written() == 0);
}  // and the destructor returns

TEST_CASE("wav recorder: a file that cannot be opened is refused at start, naming why") {
    TempDir dir;
    try {
        WavRecorder recorder(dir.file("no/such/dir/mix.wav"));
        FAIL("opened a file in a directory that does not exist");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("No such file") != std::string::npos);
    }
}
