// Tests daemon/send/ts_muxer with the real AudioEncoder: what a call's sound costs on the wire
// (datagrams and bytes carrying audio, with IPv4 + UDP headers and the sealing overhead), how
// long a block of sound waits on the send thread, and that a stock ffprobe reads the stream.
#include "daemon/send/ts_muxer.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <vector>

#include "daemon/send/captured_frame.hpp"
#include "daemon/send/encoders.hpp"
#include "protocol/ts_packet.hpp"
#include "tests/support/process.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
}

using namespace meshcall;
using namespace meshcall::test;

namespace {

constexpr std::size_t kIpUdp = 28;   // IPv4 + UDP headers per datagram
constexpr std::size_t kSealed = 22;  // sealing overhead per datagram in an encrypted room

// 20 ms of a 440 Hz tone at 0.5, mono float 48 kHz, starting at sample `at`: what the audio
// capture hands the send thread.
FramePtr tone_block(int64_t at) {
    FramePtr f = make_frame();
    f->format = AV_SAMPLE_FMT_FLT;
    f->sample_rate = kAudioRate;
    f->nb_samples = kAudioRate / 50;
    av_channel_layout_default(&f->ch_layout, 1);
    REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
    auto* s = reinterpret_cast<float*>(f->data[0]);
    for (int i = 0; i < f->nb_samples; ++i)
        s[i] = 0.5f * float(std::sin(2 * M_PI * 440.0 * double(at + i) / kAudioRate));
    return f;
}

// The TS packets of one datagram that belong to `pid`.
std::size_t packets_on(const std::vector<uint8_t>& datagram, int pid) {
    std::size_t n = 0;
    for (std::size_t at = 0; at + kTsPacketSize <= datagram.size(); at += kTsPacketSize) {
        const uint8_t* p = datagram.data() + at;
        if (((p[1] & 0x1f) << 8 | p[2]) == pid) ++n;
    }
    return n;
}

// The PID whose PES carry stream id 0xBD (private stream 1: Opus in TS), or -1.
int opus_pid(const std::vector<std::vector<uint8_t>>& datagrams) {
    for (const auto& d : datagrams)
        for (std::size_t at = 0; at + kTsPacketSize <= d.size(); at += kTsPacketSize) {
            const uint8_t* p = d.data() + at;
            if (!(p[1] & 0x40) || !(p[3] & 0x10)) continue;  // no PES start, no payload
            std::size_t pos = 4 + ((p[3] & 0x20) ? 1 + p[4] : 0);
            if (pos + 4 <= kTsPacketSize && p[pos] == 0 && p[pos + 1] == 0 && p[pos + 2] == 1 &&
                p[pos + 3] == 0xbd)
                return (p[1] & 0x1f) << 8 | p[2];
        }
    return -1;
}

}  // namespace

TEST_CASE("ts muxer: 32 kbit/s Opus costs at most 50 kbit/s a copy on the wire, sealed") {
    constexpr int kBlocks = 100;            // 2 s of 20 ms capture blocks
    AudioEncoder encoder(AudioSettings{});  // the room default: 32 kbit/s
    std::vector<std::vector<uint8_t>> datagrams;
    std::vector<int> block_of;  // which capture block each datagram left during
    int block = 0;
    {
        TsMuxer muxer("tone", nullptr, encoder.context(), [&](std::span<const uint8_t> d) {
            datagrams.emplace_back(d.begin(), d.end());
            block_of.push_back(block);
        });
        for (block = 0; block < kBlocks; ++block) {
            FramePtr f = tone_block(int64_t{block} * kAudioRate / 50);
            encoder.encode(f.get(), int64_t{block} * 20000,
                           [&](AVPacket* p) { muxer.write_audio(p); });
        }
        block = kBlocks;  // the trailer's bytes, if any
    }
    REQUIRE(encoder.failures() == 0);
    const int pid = opus_pid(datagrams);
    REQUIRE(pid >= 0);

    std::size_t audio_datagrams = 0, audio_packets = 0;
    std::map<int, int> sent_in_block;  // capture block -> datagrams with sound that left then
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        const std::size_t n = packets_on(datagrams[i], pid);
        if (n == 0) continue;
        ++audio_datagrams;
        audio_packets += n;
        ++sent_in_block[block_of[i]];
    }
    const double seconds = kBlocks / 50.0;
    const double plain_kbps =
        double(audio_packets * kTsPacketSize + audio_datagrams * kIpUdp) * 8 / seconds / 1000;
    const double sealed_kbps = plain_kbps + double(audio_datagrams * kSealed) * 8 / seconds / 1000;
    MESSAGE("2 s of 32 kbit/s Opus: " << audio_datagrams << " datagrams, " << audio_packets
                                      << " TS packets on its PID: " << plain_kbps
                                      << " kbit/s a copy with IPv4 + UDP, " << sealed_kbps
                                      << " sealed");
    // One datagram of one TS packet per 40 ms packet (the first may take two: its start trim).
    CHECK(audio_datagrams == kBlocks / 2);
    CHECK(audio_packets <= audio_datagrams + 1);
    CHECK(sealed_kbps <= 50.0);
    // Latency: a packet leaves as its second block is encoded; a block waits at most one
    // block (20 ms) on the send thread, never two.
    for (int b = 0; b < kBlocks; ++b) {
        INFO("capture block " << b);
        CHECK(sent_in_block[b] == (b % 2 == 1 ? 1 : 0));
    }

    // A stock ffprobe reads the stream: Opus, mono, 2 s (less the encoder's 6.5 ms start trim).
    if (!have_program("ffprobe")) return skip_test("no ffprobe on PATH");
    TempDir dir;
    {
        std::ofstream ts(dir.file("tone.ts"), std::ios::binary);
        for (const auto& d : datagrams)
            ts.write(reinterpret_cast<const char*>(d.data()), std::streamsize(d.size()));
    }
    const RunResult probe =
        run({"ffprobe", "-v", "error", "-select_streams", "a", "-count_packets", "-show_entries",
             "stream=codec_name,channels,nb_read_packets", "-show_entries", "format=duration",
             "-of", "default=nw=1", dir.file("tone.ts")});
    INFO(probe.out << probe.err);
    REQUIRE(probe.status == 0);
    CHECK(probe.err.empty());
    CHECK(probe.out.find("codec_name=opus") != std::string::npos);
    CHECK(probe.out.find("channels=1") != std::string::npos);
    CHECK(probe.out.find("nb_read_packets=50") != std::string::npos);
    const auto at = probe.out.find("duration=");
    REQUIRE(at != std::string::npos);
    const double duration = std::stod(probe.out.substr(at + 9));
    CHECK(duration == doctest::Approx(2.0).epsilon(0.02));
}
