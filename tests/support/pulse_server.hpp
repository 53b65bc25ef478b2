// Test support: a private PulseAudio sound server (its own daemon, socket and state in a temp
// directory; null sinks instead of sound cards), and pactl/parec/paplay run against it. Works as
// root: the daemon is started with -n (no default.pa) and only the modules the test asks for, so
// it needs neither a session bus nor a user; its root warning is harmless.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace meshcall::test {

class PulseServer {
  public:
    // Whether the pulseaudio and pactl programs are installed.
    static bool available();

    // Starts the daemon with its socket and state under `dir` and waits (10 s at most) until
    // `pactl info` answers; ok() says whether it did.
    explicit PulseServer(const TempDir& dir);
    // Kills the daemon (SIGTERM, then SIGKILL) and reaps it.
    ~PulseServer();
    PulseServer(const PulseServer&) = delete;
    PulseServer& operator=(const PulseServer&) = delete;

    bool ok() const { return ok_; }
    const std::string& server() const { return server_; }  // "unix:DIR/pulse/native"
    // What a child needs to talk to this server (PULSE_SERVER, a client.conf that never
    // autospawns another daemon): pass to Process/run, or setenv() it for every child.
    std::vector<std::string> env() const;
    // setenv()s env() in this process, so that every child (meshcalld, meshcall) uses it.
    void export_env() const;

    // `pactl ARGS...`; the status and output (10 s at most).
    RunResult pactl(const std::vector<std::string>& args) const;
    // `pactl load-module MODULE ARGS...` (args split on spaces); the module index, or -1.
    int load_module(const std::string& module_and_args) const;
    bool unload_module(int index) const;
    // A null sink `name` (48 kHz mono float): its monitor is "NAME.monitor". The module index,
    // or -1.
    int create_null_sink(const std::string& name) const;
    // Names from `pactl list short sinks` / `sources` (sources include the monitors).
    std::vector<std::string> sinks() const;
    std::vector<std::string> sources() const;
    // Waits (deadline `timeout`) until the sink/source `name` exists / is gone.
    bool wait_for_source(const std::string& name, bool present,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

    // Plays a WAV file on `sink` (paplay) until the returned process is destroyed or it ends.
    std::unique_ptr<Process> play(const std::string& sink, const std::string& wav) const;
    // Records `seconds` of `source` (a monitor: "SINK.monitor") as 48 kHz mono float; the
    // samples (parec, stopped after `seconds`).
    std::vector<float> record(const std::string& source, double seconds) const;

  private:
    std::string dir_, server_, client_conf_;
    std::unique_ptr<Process> daemon_;
    bool ok_ = false;
};

// Writes a 48 kHz mono 16-bit WAV of a sine of `hz` Hz at `amplitude` (0..1) lasting `seconds`.
void write_tone_wav(const std::string& path, double hz, double seconds, double amplitude = 0.5);

}  // namespace meshcall::test
