// AudioMixer: mixes every peer's decoded sound (never your own) into one mono 48 kHz stream.
// Each peer has a small jitter buffer: a source starts playing as soon as it has sound, behind
// enough silence that it plays its newest sound `target` (40 ms at first) later and at least
// 20 ms later — so sound arriving in 40 ms blocks (meshcall's Opus packets), 40 ms apart, never
// runs it dry — unless more than that is already queued (a backlog plays at once). The target
// grows by 20 ms on an underrun, and by what the receiver played late after concealing ahead
// for it (SampleRing::note_late), up to 200 ms; excess is shed when steady (what was queued
// over the target all along for 10 s). Gaps fade out instead of clicking. The sum goes through a
// soft clipper.
//
// Threading: mix() is called by one audio thread (the SDL callback or the headless sink) and is
// real-time safe: it takes no lock, does no I/O and allocates nothing (its buffers are sized at
// construction for kMaxBlock samples; a longer request is mixed in kMaxBlock pieces); it is
// each SampleRing's only reader. set_muted() is called by the event loop (an atomic store);
// target() and underruns() from any thread (atomic loads). Construct and destroy on main.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "daemon/audio/mix_tap.hpp"
#include "daemon/util/sample_ring.hpp"

namespace meshcall {

class AudioMixer {
  public:
    static constexpr int kRate = 48000;
    static constexpr std::size_t kStartTarget = kRate * 40 / 1000;  // 40 ms
    static constexpr std::size_t kMaxTarget = kRate * 200 / 1000;
    static constexpr std::size_t kGrowStep = kRate * 20 / 1000;
    // Shed when steady for 10 s with always at least this much over the target queued.
    static constexpr std::size_t kShedMin = kRate * 40 / 1000;
    // A starting source plays its newest sound at least this much later: the slack for the
    // next block, which is due one block after the one that just came.
    static constexpr std::size_t kMinLead = kRate * 20 / 1000;
    // The most samples mixed in one piece (SDL asks for ~512; the headless sink for 960).
    static constexpr std::size_t kMaxBlock = 8192;

    // `sources`: one ring per peer (owned by the session, outliving the mixer).
    explicit AudioMixer(std::vector<SampleRing*> sources);

    // Fills `out` with the mix of every source not muted.
    void mix(std::span<float> out);
    // Main, before any audio thread: each mix is also pushed to `tap` (the recording's).
    void set_tap(MixTap* tap) { tap_ = tap; }
    // A peer that says its microphone is off is not mixed (its ring is drained).
    void set_muted(std::size_t source, bool muted);

    uint64_t underruns() const { return underruns_.load(std::memory_order_relaxed); }
    // Current jitter-buffer target of a source, in samples (for status and tests).
    std::size_t target(std::size_t source) const;

  private:
    struct Source {
        SampleRing* ring = nullptr;
        std::atomic<bool> muted{false};  // written by the loop, read by the audio thread
        bool playing = false;
        std::atomic<std::size_t> target{kStartTarget};
        uint64_t steady_samples = 0;  // played since the last underrun
        uint64_t late_seen = 0;       // ring->late() when last looked at
        std::size_t low = SIZE_MAX;   // least queued (and lead) since steady_samples was 0
        float last = 0.f;             // last sample played, for the fade on a gap
        std::size_t lead = 0;         // silence still to play before the queue (starting)
        std::vector<float> buffer;    // kMaxBlock samples, allocated once
    };
    void mix_block(std::span<float> out);  // out.size() <= kMaxBlock

    std::vector<std::unique_ptr<Source>> sources_;  // fixed after construction
    std::vector<float> sum_;                        // kMaxBlock samples, allocated once
    MixTap* tap_ = nullptr;                         // set before the audio thread starts
    std::atomic<uint64_t> underruns_{0};
};

// Soft clipping: linear up to 0.5, then a smooth curve approaching 1.
float soft_clip(float x);

}  // namespace meshcall
