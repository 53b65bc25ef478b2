// PeerMediaStats: what one peer's receiver counts and measures, for the status JSON. Written by
// that peer's receiver thread only (relaxed atomics), read by any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace meshcall {

struct PeerMediaStats {
    // Capture-to-decode latency since the start, in 1 ms buckets; the last one is "200 ms or more".
    static constexpr std::size_t kLatencyBuckets = 201;
    std::array<std::atomic<uint32_t>, kLatencyBuckets> latency_histogram{};
    std::atomic<uint64_t> video_frames{0};
    std::atomic<uint64_t> audio_frames{0};
    std::atomic<uint64_t> decode_errors{0};
    std::atomic<uint64_t> rejected_streams{0};  // streams not on the codec whitelist, or too big
    std::atomic<uint64_t> restarts{0};          // demuxers started after the first
    // Opus packets put back in order, dropped as duplicates or too late, gaps concealed, and
    // timeline jumps (AudioReorder's counters, this peer's whole call).
    std::atomic<uint64_t> audio_reordered{0};
    std::atomic<uint64_t> audio_stale{0};
    std::atomic<uint64_t> audio_concealed{0};
    std::atomic<uint64_t> audio_concealed_samples{0};  // at 48 kHz
    std::atomic<uint64_t> audio_jumps{0};  // the sender's audio timeline jumped (not concealed)
    // Datagrams dropped unread because they had waited in the queue longer than
    // StaleBacklog::kBoundUs (the receiver fell behind), and the episodes of such drops.
    std::atomic<uint64_t> stale_drops{0};
    std::atomic<uint64_t> stale_episodes{0};
    std::atomic<int64_t> latency_p50_us{-1};  // capture-to-decode, over the last seconds
    std::atomic<int64_t> latency_p95_us{-1};
    std::atomic<int64_t> latency_p99_us{-1};
    std::atomic<int> width{0}, height{0};
    std::atomic<uint32_t> mean_rgb{0};    // 0xRRGGBB of the last sampled picture
    std::atomic<float> audio_level{0.f};  // RMS of the last decoded block, 0..1
    std::atomic<bool> has_video_stream{false};
    std::atomic<bool> has_audio_stream{false};
};

}  // namespace meshcall
