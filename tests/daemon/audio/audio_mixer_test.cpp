// AudioMixer: jitter buffering, underruns, muting, mixing and soft clipping, on fixed samples.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "daemon/audio/audio_mixer.hpp"

using namespace meshcall;

namespace {
std::vector<float> constant(std::size_t n, float v) {
    return std::vector<float>(n, v);
}
}  // namespace

TEST_CASE("mixer: a source starts behind silence that makes up its target, then sums") {
    SampleRing a(48000), b(48000);
    AudioMixer mixer({&a, &b});
    std::vector<float> out(480);
    a.write(constant(1000, 0.1f));  // under 40 ms (1920 samples): 960 of silence first
    mixer.mix(out);
    CHECK(out[0] == 0.f);
    CHECK(out[479] == 0.f);
    b.write(constant(4000, 0.2f));  // more than the target and 20 ms: a backlog plays at once
    mixer.mix(out);
    CHECK(out[0] == doctest::Approx(0.2f));
    CHECK(out[479] == doctest::Approx(0.2f));
    mixer.mix(out);
    CHECK(out[0] == doctest::Approx(0.3f));
    CHECK(out[479] == doctest::Approx(0.3f));
    CHECK(mixer.underruns() == 0);
}

namespace {
// Sound captured as a ramp (sample k is (k + 1) * 1e-6), arriving in blocks of `block` samples,
// each as soon as it is whole, and mixed 10 ms at a time for 5 s. Returns how long after its
// capture the mixer plays a sample (ms: the same for every sample once playing; -1 if it
// varies); `underruns` gets what the mixer counted.
double play_delay_ms(std::size_t block, uint64_t& underruns) {
    SampleRing ring(kSampleRingCapacity);
    AudioMixer mixer({&ring});
    constexpr std::size_t kPull = 480;
    std::vector<float> out(kPull), in(block);
    std::size_t captured = 0;
    double delay = -2;
    for (std::size_t pulled = 0; pulled < 5 * 48000; pulled += kPull) {
        while (captured + block <= pulled) {  // each block whole by now
            for (std::size_t i = 0; i < block; ++i) in[i] = float(captured + i + 1) * 1e-6f;
            ring.write(in);
            captured += block;
        }
        mixer.mix(out);
        for (std::size_t i = 0; i < kPull; ++i) {
            if (out[i] == 0.f) continue;
            const double sample = std::round(double(out[i]) / 1e-6) - 1;
            const double d = (double(pulled + i) - sample) / 48.0;
            if (delay == -2) delay = d;
            if (std::abs(d - delay) > 0.1) delay = -1;
        }
    }
    underruns = mixer.underruns();
    return delay;
}
}  // namespace

TEST_CASE("mixer: 40 ms blocks 40 ms apart play steadily, 20 ms later than 20 ms blocks") {
    // Each starts 20 ms behind its first block: 20 ms blocks to make up the 40 ms target,
    // 40 ms blocks as the slack for the next. Waiting for the target to fill would start 40 ms
    // blocks behind the second one, 40 ms later; starting them at once would run dry.
    uint64_t underruns20 = 0, underruns40 = 0;
    const double d20 = play_delay_ms(960, underruns20);
    const double d40 = play_delay_ms(1920, underruns40);
    MESSAGE("capture to play: " << d20 << " ms with 20 ms blocks, " << d40 << " ms with 40 ms");
    CHECK(underruns20 == 0);
    CHECK(underruns40 == 0);
    CHECK(d20 == doctest::Approx(40.0));
    CHECK(d40 == doctest::Approx(60.0));
}

TEST_CASE(
    "mixer: a backlog is shed after 10 s steady, down to what leaves room for the next block") {
    // 40 ms blocks 40 ms apart, 10 ms pulls, 300 ms queued at the start; each phase of the
    // blocks against the pulls. Before each block comes, what is left must still be the slack
    // a starting source keeps (kMinLead): shed down to the target alone, it ran to 0.
    constexpr std::size_t kPull = 480, kBlock = 1920;
    for (std::size_t phase = 0; phase < kBlock; phase += kPull) {
        CAPTURE(phase);
        SampleRing ring(kSampleRingCapacity);
        AudioMixer mixer({&ring});
        ring.write(constant(48000 * 3 / 10, 0.1f));
        std::vector<float> out(kPull);
        const std::vector<float> block = constant(kBlock, 0.1f);
        std::size_t written = 0, least_after_shed = SIZE_MAX;
        bool shed = false;
        for (std::size_t pulled = 0; pulled < 12 * 48000; pulled += kPull) {
            if ((pulled + phase) / kBlock > written) {
                if (shed) least_after_shed = std::min(least_after_shed, ring.size());
                ring.write(block);
                ++written;
            }
            mixer.mix(out);
            if (ring.size() < 48000 / 10) shed = true;  // the 300 ms went
        }
        CHECK(shed);
        CHECK(least_after_shed >= AudioMixer::kMinLead);
        CHECK(mixer.underruns() == 0);
    }
}

TEST_CASE("mixer: on a jittery path, what a burst queues is not shed as excess") {
    // 40 ms blocks; every fourth cycle one comes 90 ms late, with the next right behind it.
    // Once the target has grown for that (in the first seconds), nothing may run dry: the
    // queue peaks after each burst, and those peaks are the slack the next late block needs.
    constexpr std::size_t kPull = 480, kBlock = 1920;
    SampleRing ring(kSampleRingCapacity);
    AudioMixer mixer({&ring});
    std::vector<float> out(kPull);
    const std::vector<float> block = constant(kBlock, 0.1f);
    // When each block arrives (samples): in order, so a late one holds back the ones after it.
    std::vector<std::size_t> arrives;
    for (std::size_t k = 0; k < 40 * 25; ++k) {
        const std::size_t due = k * kBlock + (k % 16 == 8 ? kBlock * 9 / 4 : 0);
        arrives.push_back(arrives.empty() ? due : std::max(due, arrives.back()));
    }
    std::size_t next = 0;
    uint64_t underruns_at_5s = 0;
    for (std::size_t pulled = 0; pulled < 38 * 48000; pulled += kPull) {
        for (; next < arrives.size() && arrives[next] <= pulled; ++next) ring.write(block);
        if (pulled == 5 * 48000) underruns_at_5s = mixer.underruns();
        mixer.mix(out);
    }
    CHECK(underruns_at_5s > 0);  // it did have to grow
    CHECK(mixer.underruns() == underruns_at_5s);
}

TEST_CASE("mixer: sound the receiver played late grows the target by as much") {
    SampleRing ring(48000);
    AudioMixer mixer({&ring});
    std::vector<float> out(480);
    ring.write(constant(4000, 0.1f));
    mixer.mix(out);
    CHECK(mixer.target(0) == AudioMixer::kStartTarget);
    ring.note_late(960);
    mixer.mix(out);
    CHECK(mixer.target(0) == AudioMixer::kStartTarget + 960);
    ring.note_late(48000);
    mixer.mix(out);
    CHECK(mixer.target(0) == AudioMixer::kMaxTarget);
    CHECK(mixer.underruns() == 0);
}

TEST_CASE("mixer: an underrun fades out, counts, and grows the buffer target by 20 ms") {
    SampleRing a(48000);
    AudioMixer mixer({&a});
    a.write(constant(3500, 0.4f));  // over the target and 20 ms: plays at once
    std::vector<float> out(1500);
    mixer.mix(out);
    CHECK(out[0] == doctest::Approx(0.4f));
    CHECK(mixer.underruns() == 0);
    out.resize(2500);
    mixer.mix(out);  // 2000 left: underrun
    CHECK(mixer.underruns() == 1);
    CHECK(out[1999] == doctest::Approx(0.4f));
    CHECK(out[2000] < 0.4f);
    CHECK(out[2000] > 0.f);                          // fading, not a click
    CHECK(out[2000 + 240] == doctest::Approx(0.f));  // 5 ms later: silent
    CHECK(mixer.target(0) == AudioMixer::kStartTarget + AudioMixer::kGrowStep);
}

TEST_CASE("mixer: a muted source is not heard, and unmuted it plays again") {
    SampleRing a(48000), b(48000);
    AudioMixer mixer({&a, &b});
    a.write(constant(4000, 0.1f));
    b.write(constant(4000, 0.2f));
    mixer.set_muted(1, true);
    std::vector<float> out(480);
    mixer.mix(out);
    CHECK(out[0] == doctest::Approx(0.1f));
    CHECK(b.size() == 0);  // drained, so unmuting does not replay old sound
    mixer.set_muted(1, false);
    b.write(constant(4000, 0.2f));
    mixer.mix(out);
    CHECK(out[0] == doctest::Approx(0.3f));
}

TEST_CASE("mixer: a request longer than its buffers is mixed in pieces, the same") {
    SampleRing a(48000);
    AudioMixer mixer({&a});
    a.write(constant(20000, 0.1f));
    std::vector<float> out(AudioMixer::kMaxBlock * 2 + 100);
    mixer.mix(out);
    CHECK(mixer.underruns() == 0);
    CHECK(out.front() == doctest::Approx(0.1f));
    CHECK(out[AudioMixer::kMaxBlock] == doctest::Approx(0.1f));
    CHECK(out.back() == doctest::Approx(0.1f));
    CHECK(a.size() == 20000 - out.size());
}

TEST_CASE("mixer: a receiver writing, the audio thread mixing and the loop muting, at once") {
    // Real threads in their real roles (run under ThreadSanitizer too): the sound is 0.25, so
    // every mixed sample is between 0 (buffering, muted) and 0.25 (fades go towards 0).
    using Clock = std::chrono::steady_clock;
    SampleRing a(kSampleRingCapacity);
    AudioMixer mixer({&a});
    constexpr std::size_t kBlocks = 500;  // 480 samples each
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> written{0};
    std::thread receiver([&] {
        const std::vector<float> block = constant(480, 0.25f);
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        for (std::size_t i = 0; i < kBlocks && Clock::now() < deadline; ++i) {
            while (a.size() > AudioMixer::kMaxTarget + 2400 && !stop && Clock::now() < deadline)
                std::this_thread::yield();
            a.write(block);
            written = i + 1;
        }
    });
    std::thread loop([&] {
        for (int i = 0; !stop; ++i) {
            mixer.set_muted(0, i % 2 == 1);
            (void)mixer.target(0);
            std::this_thread::yield();
        }
        mixer.set_muted(0, false);
    });
    std::vector<float> out(512);
    bool in_range = true;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (written < kBlocks && Clock::now() < deadline) {
        mixer.mix(out);
        for (float v : out) in_range = in_range && v >= 0.f && v <= 0.25f + 1e-6f;
    }
    stop = true;
    receiver.join();
    loop.join();
    CHECK(written == kBlocks);
    CHECK(in_range);
    // Unmuted, with more than the largest target queued, it plays: at once, or once the
    // silence of a start the last mixes began is over (at most the largest target + 20 ms).
    a.write(constant(AudioMixer::kMaxTarget + AudioMixer::kMinLead + 1000, 0.25f));
    bool heard = false;
    for (std::size_t k = 0; k * out.size() <= AudioMixer::kMaxTarget + AudioMixer::kMinLead; ++k) {
        mixer.mix(out);
        if (out.back() == doctest::Approx(0.25f)) heard = true;
    }
    CHECK(heard);
}

TEST_CASE("soft clip: linear up to 0.5, bounded by 1, odd, monotonic") {
    CHECK(soft_clip(0.25f) == 0.25f);
    CHECK(soft_clip(-0.5f) == -0.5f);
    float prev = 0.f;
    for (float x = 0.f; x < 8.f; x += 0.01f) {
        const float y = soft_clip(x);
        CHECK(y >= prev);
        CHECK(y <= 1.f);  // reaches 1 only where float tanh saturates
        CHECK(soft_clip(-x) == -y);
        prev = y;
    }
}
