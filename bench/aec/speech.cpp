// Talkers of the AEC bench: espeak-ng run as a process, its WAV read back and resampled.
#include "bench/aec/speech.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace meshcall::aec_bench {
namespace {

constexpr int kRate = 48000;

std::uint32_t le32(const unsigned char* p) {
    return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

void run_espeak(const Talker& talker, const std::string& path) {
    const std::string speed = std::to_string(talker.words_per_minute);
    std::vector<std::string> args = {"espeak-ng", "-w", path, "-v", talker.voice, "-s", speed,
                                     talker.text};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (int err = posix_spawnp(&pid, "espeak-ng", nullptr, nullptr, argv.data(), environ))
        throw std::runtime_error(std::string("cannot run espeak-ng: ") + std::strerror(err));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw std::runtime_error("waitpid on espeak-ng failed");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("espeak-ng -v " + talker.voice + " failed writing " + path);
}

// Active speech: 20 ms frames within 40 dB of the loudest.
double active_power(const Signal& s) {
    constexpr std::size_t kFrame = kRate / 50;
    std::vector<double> frames;
    for (std::size_t i = 0; i + kFrame <= s.size(); i += kFrame) frames.push_back(power(s, i, i + kFrame));
    if (frames.empty()) return 0;
    const double top = *std::max_element(frames.begin(), frames.end());
    double sum = 0;
    std::size_t n = 0;
    for (double p : frames)
        if (p > top * 1e-4) sum += p, ++n;
    return n ? sum / static_cast<double>(n) : 0;
}

Signal trim(const Signal& s) {
    const float threshold = 1e-3f;
    auto first = std::find_if(s.begin(), s.end(), [&](float v) { return std::abs(v) > threshold; });
    auto last = std::find_if(s.rbegin(), s.rend(), [&](float v) { return std::abs(v) > threshold; });
    if (first == s.end()) return {};
    return Signal(first, last.base());
}

}  // namespace

Talker far_talker() {
    return {"en-us", 165,
            "the quick brown fox jumps over the lazy dog while the radio plays an old song about "
            "rivers and mountains and the people who live between them and work the fields"};
}

Talker near_talker() {
    return {"en-gb+f3", 150,
            "a small boat drifts along the quiet harbour as the fisherman counts his nets and "
            "calls out to his brother on the pier"};
}

Signal read_wav(const std::string& path, int& rate) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) || std::memcmp(bytes.data() + 8, "WAVE", 4))
        throw std::runtime_error(path + ": not a WAV file");
    std::size_t pos = 12;
    int channels = 0, bits = 0;
    rate = 0;
    while (pos + 8 <= bytes.size()) {
        const std::uint32_t size = le32(&bytes[pos + 4]);
        const unsigned char* body = &bytes[pos + 8];
        if (!std::memcmp(&bytes[pos], "fmt ", 4) && size >= 16) {
            if (le16(body) != 1) throw std::runtime_error(path + ": not PCM");
            channels = le16(body + 2);
            rate = static_cast<int>(le32(body + 4));
            bits = le16(body + 14);
        } else if (!std::memcmp(&bytes[pos], "data", 4)) {
            if (channels != 1 || bits != 16)
                throw std::runtime_error(path + ": not mono 16-bit PCM");
            // A streaming writer may leave the size unset: read to the end.
            const std::size_t avail = bytes.size() - pos - 8;
            const std::size_t n = (size == 0 || size > avail ? avail : size) / 2;
            Signal out(n);
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<std::int16_t>(le16(body + 2 * i)) / 32768.f;
            return out;
        }
        pos += 8 + size + (size & 1);
    }
    throw std::runtime_error(path + ": no data chunk");
}

Signal synthesise(const Talker& talker, double seconds, double level_dbfs) {
    char dir_template[] = "/tmp/meshcall-aec-XXXXXX";
    if (!mkdtemp(dir_template)) throw std::runtime_error("cannot create a directory in /tmp");
    const std::filesystem::path dir(dir_template);
    const std::string path = (dir / "speech.wav").string();
    Signal speech;
    int rate = 0;
    try {
        run_espeak(talker, path);
        speech = trim(read_wav(path, rate));
    } catch (...) {
        std::filesystem::remove_all(dir);
        throw;
    }
    std::filesystem::remove_all(dir);
    if (speech.empty() || rate <= 0) throw std::runtime_error("espeak-ng wrote no speech to " + path);
    const double step = static_cast<double>(rate) / kRate;
    Signal once = resample(speech, step, static_cast<std::size_t>(speech.size() / step));
    // Repeated, a quarter second apart, until long enough.
    const auto length = static_cast<std::size_t>(seconds * kRate);
    Signal out;
    out.reserve(length + once.size());
    while (out.size() < length) {
        out.insert(out.end(), once.begin(), once.end());
        out.insert(out.end(), kRate / 4, 0.f);
    }
    out.resize(length);
    const double gain = std::sqrt(std::pow(10.0, level_dbfs / 10) / active_power(out));
    for (auto& v : out) v = static_cast<float>(v * gain);
    return out;
}

}  // namespace meshcall::aec_bench
