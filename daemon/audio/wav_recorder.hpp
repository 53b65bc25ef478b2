// WavRecorder: records the mix as a 48 kHz mono 16-bit WAV through libavformat's wav muxer, on
// its own thread ("wav"), so that the audio thread never touches the file.
//
// Threading: construct and destroy on main. push() is called by one audio thread (the SDL
// callback or the headless sink) and is real-time safe: it copies into a lock-free SpscRing
// (2 s) and returns; no lock, no I/O, no allocation. The "wav" thread wakes every 20 ms, drains
// the ring into packets and writes each one through to the file (flush_packets), so the file
// grows while the call goes on. The header's sizes say "unknown, read to the end" (0xFFFFFFFF)
// while recording, so ffprobe, sox and libavformat read the file at any time; the destructor
// drains what was pushed, writes the trailer (which puts the real sizes in the header; RF64 if
// it passes 4 GB) and closes the file.
//
// Errors: a file that cannot be opened throws from the constructor (start-up). A write error on
// the "wav" thread is logged once and ends the recording (later pushes are ignored); the call
// goes on. If the "wav" thread falls over 2 s behind, push() drops the newest samples (counted
// in dropped(); logged once per episode by the "wav" thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "daemon/util/av_ptr.hpp"
#include "daemon/util/spsc_ring.hpp"

namespace meshcall {

class WavRecorder {
  public:
    static constexpr int kRate = 48000;
    static constexpr std::size_t kRingSamples = 2 * kRate;  // 2 s
    static constexpr std::size_t kMaxPacket = kRate / 10;   // 100 ms

    // Main. Opens `path` for writing (truncating it) and starts the "wav" thread. Throws
    // std::runtime_error with the reason if the file cannot be opened.
    explicit WavRecorder(const std::string& path);
    // Main. Writes everything pushed so far, the trailer, and closes the file.
    ~WavRecorder();
    WavRecorder(const WavRecorder&) = delete;
    WavRecorder& operator=(const WavRecorder&) = delete;

    // Audio thread (the only producer). Queues the samples (clamped to [-1, 1] when written);
    // returns how many were queued: fewer when the "wav" thread is 2 s behind (the newest are
    // dropped), none once recording stopped on an error.
    std::size_t push(std::span<const float> samples);

    // Any thread.
    bool failed() const { return failed_.load(std::memory_order_acquire); }
    uint64_t samples_written() const { return written_.load(std::memory_order_acquire); }
    uint64_t samples_dropped() const { return dropped_.load(std::memory_order_relaxed); }
    const std::string& path() const { return path_; }

  private:
    void run();                            // the "wav" thread
    bool write_header();                   // wav thread
    bool write_queued();                   // wav thread: drains the ring; false on a write error
    bool write_trailer();                  // wav thread
    void fail(const char* step, int err);  // wav thread: logs once, stops the recording

    const std::string path_;
    OutputFileContextPtr muxer_;
    SpscRing<float> ring_{kRingSamples};
    std::atomic<bool> failed_{false};
    std::atomic<uint64_t> written_{0}, dropped_{0};

    // wav thread only
    PacketPtr packet_;
    std::vector<float> block_;
    int64_t next_pts_ = 0;
    uint64_t dropped_logged_ = 0;
    bool dropping_ = false;

    std::mutex stop_mutex_;  // main and the wav thread only (never the audio thread)
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace meshcall
