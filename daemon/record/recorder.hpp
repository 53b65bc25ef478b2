// Recorder: the call's recording (--record DIR, {"cmd":"record"}): each peer's stream as it came
// (a byte copy of its decrypted TS datagrams, DIR/NAME.ts, no re-encoding; a stream that restarts
// keeps appending to the same file: a player takes it as a TS discontinuity) and the mix
// (DIR/mix.wav, through WavRecorder). The writing happens on the recorder's own thread
// ("record"), so the loop never waits for the disk.
//
// Threading:
// - Construct and destroy on main; close() (main) finishes what is queued and joins.
// - start_and_wait() on main before the loop runs (--record: an error stops the start-up).
// - start(), stop() and on_datagram() on the loop thread. on_datagram() costs an atomic load
//   when nothing is recorded; while recording it copies the datagram into a bounded queue and
//   never blocks on the disk: when the queue holds kQueueDatagrams it drops the datagram and
//   counts it. start() and stop() are answered through `on_done`, called on the record thread.
// - set_mixer() on main: when nothing else pulls the mixer (no sound device, no --record-mix),
//   the record thread pulls it at real time while it records, so the mix is still heard.
//   Otherwise the audio thread's mix reaches it through the MixTap.
// - status() on any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "daemon/audio/audio_mixer.hpp"
#include "daemon/audio/mix_tap.hpp"
#include "daemon/audio/wav_recorder.hpp"
#include "daemon/record/record_status.hpp"

namespace meshcall {

class Recorder {
  public:
    // ~5 MB of datagrams: seconds of a call's streams, for a disk that stalls.
    static constexpr std::size_t kQueueDatagrams = 4096;

    // The answer to start() or stop(): `error` empty on success; `status` what the recording
    // holds (after a stop: what it held when it ended; nullopt when none was running).
    struct Done {
        uint64_t token = 0;
        bool stop = false;
        std::string error;
        std::optional<RecordStatus> status;
    };
    using OnDone = std::function<void(Done)>;

    // `peers`: the other participants' names, indexed as on_datagram's `peer`.
    Recorder(const std::vector<std::string>& peers, MixTap& tap, OnDone on_done);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Main: starts recording into `dir` (created if need be) and waits for it. Returns the
    // error ("" on success).
    std::string start_and_wait(const std::string& dir);
    // Loop thread: asks the record thread to start recording into `dir` or to stop; on_done
    // gets `token` back.
    void start(const std::string& dir, uint64_t token);
    void stop(uint64_t token);
    // Loop thread: a datagram (TS packets, opened) from peer `peer`.
    void on_datagram(std::size_t peer, std::span<const uint8_t> bytes);

    // Main, while the call runs: the mixer the record thread pulls itself (nullptr: another
    // thread pulls it, and the mix comes through the tap).
    void set_mixer(AudioMixer* mixer) { mixer_.store(mixer, std::memory_order_release); }

    // Any thread: the running recording, or nullopt.
    std::optional<RecordStatus> status() const;

    // Main: ends a recording in progress (the files complete), stops the thread. Idempotent.
    void close();

  private:
    struct Datagram {
        std::size_t peer = 0;
        std::vector<uint8_t> bytes;
    };
    struct Command {
        bool stop = false;
        std::string dir;
        uint64_t token = 0;
        std::shared_ptr<std::promise<std::string>> waiting;  // start_and_wait's
    };
    using Item = std::variant<Datagram, Command>;
    struct Session;  // a recording in progress: record thread only

    void push_command(Command command);
    void run();  // the record thread
    void handle(Command& command);
    std::string begin(const std::string& dir);
    void end();
    void write(const Datagram& d);
    void pull_and_drain();  // the mix: pulled at real time if need be, drained into the WAV
    void pull_mix(Session& s);
    void drain_mix(Session& s);
    void publish();     // the status, for status()
    void warn_drops();  // at most every 10 s while datagrams are being dropped
    void fail(const std::string& error);

    const std::vector<std::string> stems_;
    MixTap& tap_;
    OnDone on_done_;
    std::atomic<AudioMixer*> mixer_{nullptr};
    std::atomic<bool> active_{false};  // the record thread says; on_datagram reads
    std::atomic<uint64_t> dropped_{0};

    mutable std::mutex mutex_;  // guards the queue and status_
    std::condition_variable wake_;
    std::deque<Item> items_;
    std::size_t queued_datagrams_ = 0;
    bool closing_ = false;
    std::optional<RecordStatus> status_;

    std::unique_ptr<Session> session_;  // record thread only
    std::vector<float> block_;          // record thread only
    uint64_t dropped_warned_ = 0;       // record thread only
    std::chrono::steady_clock::time_point last_drop_warning_{};
    std::thread thread_;
};

}  // namespace meshcall
