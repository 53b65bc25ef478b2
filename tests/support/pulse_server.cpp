// PulseServer: a private PulseAudio daemon for sound-device tests.
#include "tests/support/pulse_server.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace meshcall::test {

namespace {

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// The second column of `pactl list short ...`.
std::vector<std::string> names_in(const std::string& listing) {
    std::istringstream in(listing);
    std::vector<std::string> names;
    for (std::string line; std::getline(in, line);) {
        const auto words = split_words(line);
        if (words.size() >= 2) names.push_back(words[1]);
    }
    return names;
}

void put16(std::string& b, uint16_t v) {
    b.push_back(char(v & 0xff));
    b.push_back(char(v >> 8));
}
void put32(std::string& b, uint32_t v) {
    put16(b, uint16_t(v & 0xffff));
    put16(b, uint16_t(v >> 16));
}

}  // namespace

bool PulseServer::available() {
    return have_program("pulseaudio") && have_program("pactl") && have_program("parec") &&
           have_program("paplay");
}

PulseServer::PulseServer(const TempDir& dir) : dir_(dir.file("pulse")) {
    const std::string runtime = dir_ + "/runtime", state = dir_ + "/state";
    for (const auto& d : {dir_, runtime, state}) mkdir(d.c_str(), 0700);
    const std::string socket = dir_ + "/native";
    server_ = "unix:" + socket;
    client_conf_ = dir_ + "/client.conf";
    {
        std::ofstream(client_conf_) << "autospawn = no\n";
        std::ofstream script(dir_ + "/server.pa");
        script << "load-module module-native-protocol-unix socket=" << socket
               << " auth-anonymous=1\n";
    }
    // -n: no default.pa (no sound cards, no session bus); --system=no and a private HOME and
    // runtime directory: also as root (which pulseaudio only warns about in this mode).
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{"pulseaudio", "-n", "--daemonize=no", "--system=no",
                                 "--exit-idle-time=-1", "--disable-shm=yes", "--use-pid-file=no",
                                 "--log-target=stderr", "-F", dir_ + "/server.pa"},
        dir_ + "/pulseaudio.log",
        std::vector<std::string>{"HOME=" + dir_, "XDG_RUNTIME_DIR=" + runtime,
                                 "PULSE_RUNTIME_PATH=" + runtime, "PULSE_STATE_PATH=" + state,
                                 "XDG_CONFIG_HOME=" + dir_, "PULSE_CLIENTCONFIG=" + client_conf_});
    ok_ = wait_until(
        [&] { return !daemon_->running() || pactl({"info"}).status == 0; },
        std::chrono::seconds(10)) &&
          daemon_->running();
}

PulseServer::~PulseServer() {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    if (daemon_->wait(std::chrono::seconds(3)) < 0) daemon_.reset();  // SIGKILL and reap
}

std::vector<std::string> PulseServer::env() const {
    return {"PULSE_SERVER=" + server_, "PULSE_CLIENTCONFIG=" + client_conf_};
}

void PulseServer::export_env() const {
    for (const auto& e : env()) {
        const auto eq = e.find('=');
        setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
    }
}

RunResult PulseServer::pactl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"pactl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, std::chrono::seconds(10), env());
}

int PulseServer::load_module(const std::string& module_and_args) const {
    std::vector<std::string> args = {"load-module"};
    for (auto& w : split_words(module_and_args)) args.push_back(std::move(w));
    const RunResult r = pactl(args);
    if (r.status != 0) return -1;
    try {
        return std::stoi(r.out);
    } catch (const std::exception&) {
        return -1;
    }
}

bool PulseServer::unload_module(int index) const {
    return pactl({"unload-module", std::to_string(index)}).status == 0;
}

int PulseServer::create_null_sink(const std::string& name) const {
    return load_module("module-null-sink sink_name=" + name +
                       " format=float32le rate=48000 channels=1");
}

std::vector<std::string> PulseServer::sinks() const {
    return names_in(pactl({"list", "short", "sinks"}).out);
}

std::vector<std::string> PulseServer::sources() const {
    return names_in(pactl({"list", "short", "sources"}).out);
}

bool PulseServer::wait_for_source(const std::string& name, bool present,
                                  std::chrono::milliseconds timeout) const {
    return wait_until(
        [&] {
            const auto all = sources();
            const bool there = std::find(all.begin(), all.end(), name) != all.end();
            return there == present;
        },
        timeout);
}

std::unique_ptr<Process> PulseServer::play(const std::string& sink, const std::string& wav) const {
    return std::make_unique<Process>(
        std::vector<std::string>{"paplay", "--device=" + sink, "--latency-msec=20", wav},
        dir_ + "/paplay-" + sink + ".log", env());
}

std::vector<float> PulseServer::record(const std::string& source, double seconds) const {
    static int count = 0;
    const std::string path = dir_ + "/record-" + std::to_string(++count) + ".raw";
    {
        // parec writes raw samples to its standard output only: a shell sends them to the file
        // and then becomes parec (exec), which the signal below stops.
        Process parec({"sh", "-c",
                       "exec parec --device='" + source +
                           "' --raw --format=float32le --rate=48000 --channels=1 "
                           "--latency-msec=20 > '" + path + "'"},
                      dir_ + "/parec.log", env());
        // A recording of a given length: the time is what is measured, not a hope.
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        parec.signal(SIGINT);
        parec.wait(std::chrono::seconds(3));
    }
    const std::string bytes = read_file(path);
    std::vector<float> samples(bytes.size() / sizeof(float));
    std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
    return samples;
}

void write_tone_wav(const std::string& path, double hz, double seconds, double amplitude) {
    const auto n = static_cast<uint32_t>(seconds * 48000);
    std::string b = "RIFF";
    put32(b, 36 + n * 2);
    b += "WAVEfmt ";
    put32(b, 16);
    put16(b, 1);  // PCM
    put16(b, 1);  // mono
    put32(b, 48000);
    put32(b, 48000 * 2);
    put16(b, 2);
    put16(b, 16);
    b += "data";
    put32(b, n * 2);
    for (uint32_t i = 0; i < n; ++i)
        put16(b, uint16_t(int16_t(
                     std::lround(amplitude * 32767 * std::sin(2 * M_PI * hz * i / 48000.0)))));
    std::ofstream(path, std::ios::binary) << b;
}

}  // namespace meshcall::test
