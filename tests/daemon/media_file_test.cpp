// Files as sources (--video file:PATH, --audio file:PATH, looped) and recording (--record DIR,
// {"cmd":"record"}, `meshcall record`): end to end with real meshcalld processes, a clip made
// by the stock ffmpeg, and the stock ffprobe reading what was recorded.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <csignal>
#include <cstdint>
#include <thread>

#include "daemon/util/participant_style.hpp"
#include "tests/support/test_room.hpp"
#include "tests/support/wav_samples.hpp"
#include "tests/support/tone.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

constexpr double kClipSeconds = 3;
constexpr int kClipTone = 700;  // no participant's tone (300 + 110 k)

// A 3 s clip made by the stock ffmpeg: testsrc2 (H.264) and/or a 700 Hz sine (AAC).
std::string make_clip(const TempDir& dir, const std::string& name, bool video, bool audio) {
    const std::string path = dir.file(name);
    std::vector<std::string> argv = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
    if (video)
        argv.insert(argv.end(), {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3"});
    if (audio)
        argv.insert(argv.end(),
                    {"-f", "lavfi", "-i", "sine=frequency=700:sample_rate=48000:duration=3"});
    if (video)
        argv.insert(argv.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"});
    if (audio) argv.insert(argv.end(), {"-c:a", "aac"});
    argv.push_back(path);
    const RunResult r = run(argv, 60s);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return path;
}

off_t file_size(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

std::vector<float> slice(const std::vector<float>& x, std::size_t from, std::size_t n) {
    if (from >= x.size()) return {};
    return {x.begin() + static_cast<std::ptrdiff_t>(from),
            x.begin() + static_cast<std::ptrdiff_t>(std::min(x.size(), from + n))};
}

// ffprobe's view of a file: its streams' codec names and its duration.
struct Probe {
    std::vector<std::string> codecs;
    double duration = 0;
    std::string text;
};
Probe probe(const std::string& path) {
    const RunResult r = run({"ffprobe", "-v", "error", "-show_entries",
                             "stream=codec_name:format=duration", "-of", "json", path},
                            30s);
    Probe p;
    p.text = r.out + r.err;
    if (r.status != 0) return p;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return p;
    for (const auto& s : j.value("streams", nlohmann::json::array()))
        p.codecs.push_back(s.value("codec_name", ""));
    const std::string d = j["format"].value("duration", "0");
    p.duration = std::atof(d.c_str());
    return p;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE(
    "a clip as video and sound loops: bob decodes her pictures and hears its 700 Hz tone for "
    "more than twice its length") {
    TempDir dir;
    // A name that needs escaping in a filtergraph: blanks, a comma, a colon, a quote.
    const std::string clip = make_clip(dir, "clip, take 1:it's.mp4", true, true);
    TestRoom room = make_room(dir, "clip", {"alice", "bob"});
    const std::string wav = dir.file("bob.wav");
    Daemon alice(dir, room, "alice", {"--video", "file:" + clip, "--audio", "file:" + clip});
    Daemon bob(dir, room, "bob", {"--audio", "none", "--record-mix", wav});
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    INFO(alice.log_text());
    const auto self = alice.status().value_or(nlohmann::json::object())["self"];
    CHECK(self["video"] == "file:" + clip);
    CHECK(self["audio"] == "file:" + clip);
    // Her sound first heard: from here on the mix must hold the tone.
    REQUIRE(wait_until([&] { return bob.peer("alice").value("audio_frames", 0) > 0; }, 10s));
    const auto heard_at = file_size(wav);
    REQUIRE(heard_at > 0);
    const auto frames_at = bob.peer("alice").value("video_frames", 0);
    // 8 s of mix after that: the clip played more than twice over.
    const std::size_t span = 8 * 48000;
    REQUIRE(wait_until([&] { return file_size(wav) >= heard_at + off_t(span * 2) + 48000; }, 20s));
    const std::vector<float> x = wav_samples(wav, std::size_t(heard_at));
    // Half-second windows from 0.5 s on (the jitter buffer fills first): every one holds it.
    int windows = 0, with_tone = 0;
    double weakest = 1;
    for (std::size_t at = 24000; at + 24000 <= span; at += 24000) {
        const auto w = slice(x, at, 24000);
        const double tone = goertzel(w, kClipTone);
        weakest = std::min(weakest, tone);
        ++windows;
        with_tone += tone > 0.01 && goertzel(w, 1000) < tone / 5;
    }
    MESSAGE("700 Hz in " << with_tone << " of " << windows << " half-second windows over "
                         << span / 48000 << " s (clip " << kClipSeconds << " s); weakest "
                         << weakest);
    CHECK(windows == 15);
    CHECK(with_tone == windows);
    // Her pictures kept coming past the clip's end, at the room's size.
    const auto p = bob.peer("alice");
    INFO(p.dump());
    CHECK(p.value("video_frames", 0) - frames_at > 8 * 30 / 2);
    CHECK(p["picture"]["width"] == 320);
    CHECK(p["picture"]["height"] == 240);
    CHECK(p.value("decode_errors", 0) == 0);
    CHECK(alice.log_text().find("capture ended") == std::string::npos);
    // The file readers stop cleanly (leak-checked under the sanitizers).
    alice.process().signal(SIGTERM);
    CHECK(alice.process().wait(5s) == 0);
}

TEST_CASE(
    "a file source that is missing or lacks that kind of stream stops the start, exit 2, naming "
    "the file") {
    TempDir dir;
    TestRoom room = make_room(dir, "nofile", {"alice", "bob"});
    const std::string missing = dir.file("no such clip.mp4");
    RunResult r = run({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video",
                       "file:" + missing, "--audio", "none", "--control", dir.file("a.sock"),
                       "--profile", dir.file("none.json")},
                      10s);
    CHECK(r.status == 2);
    CHECK(r.err.find(missing) != std::string::npos);
    CHECK(r.err.find("No such file") != std::string::npos);
    // The same through `meshcall join`, with a relative path made absolute.
    RunResult j = run({"sh", "-c",
                       "cd " + dir.path() + " && " + MESHCALL_BIN + " join " + room.path +
                           " --as alice --headless --video none --audio file:gone.wav --control " +
                           dir.file("a.sock") + " --profile " + dir.file("none.json")},
                      10s);
    CHECK(j.status == 2);
    CHECK(j.err.find(dir.file("gone.wav")) != std::string::npos);
    // A clip with pictures only, as the sound: no audio stream.
    const std::string silent = make_clip(dir, "pictures.mkv", true, false);
    RunResult a = run({MESHCALLD_BIN, "--room", room.path, "--as", "alice", "--headless", "--video",
                       "none", "--audio", "file:" + silent, "--control", dir.file("a.sock"),
                       "--profile", dir.file("none.json")},
                      10s);
    CHECK(a.status == 2);
    CHECK(a.err.find(silent) != std::string::npos);
    CHECK(a.err.find("no audio stream") != std::string::npos);
    CHECK(access(dir.file("a.sock").c_str(), F_OK) != 0);
}

TEST_CASE(
    "--record on bob in a 3-party call: alice.ts and carol.ts as they came, which stock ffprobe "
    "reads (H.264 and Opus, over 2 s), and the mix with both their tones") {
    TempDir dir;
    TestRoom room = make_room(dir, "rec", {"alice", "bob", "carol"});
    const std::string rec = dir.file("rec/deeper");  // created by meshcalld
    Daemon alice(dir, room, "alice"), carol(dir, room, "carol"),
        bob(dir, room, "bob", {"--record", rec});
    for (Daemon* d : {&alice, &bob, &carol}) REQUIRE(d->wait_ready());
    INFO(bob.log_text());
    REQUIRE(wait_until(
        [&] {
            return bob.peer("alice").value("video_frames", 0) > 0 &&
                   bob.peer("carol").value("video_frames", 0) > 0;
        },
        10s));
    // 4 s of everything.
    const auto frames_at = bob.peer("alice").value("video_frames", 0);
    REQUIRE(wait_until(
        [&] {
            return bob.peer("alice").value("video_frames", 0) > frames_at + 4 * 30 * 3 / 4 &&
                   file_size(rec + "/mix.wav") > 4 * 96000;
        },
        20s));
    const auto st = bob.status().value_or(nlohmann::json::object());
    const auto recording = st["recording"];
    INFO(recording.dump());
    REQUIRE(recording.is_object());
    CHECK(recording["dir"] == rec);
    CHECK(has(recording["files"].get<std::vector<std::string>>(), "mix.wav"));
    CHECK(has(recording["files"].get<std::vector<std::string>>(), "alice.ts"));
    CHECK(has(recording["files"].get<std::vector<std::string>>(), "carol.ts"));
    CHECK(recording["bytes"].get<uint64_t>() > 100000);
    CHECK(recording["dropped"] == 0);
    bob.process().signal(SIGTERM);
    CHECK(bob.process().wait(5s) == 0);
    for (const std::string name : {"alice", "carol"}) {
        const Probe p = probe(rec + "/" + name + ".ts");
        INFO(name << ": " << p.text);
        CHECK(has(p.codecs, "h264"));
        CHECK(has(p.codecs, "opus"));
        CHECK(p.duration > 2);
    }
    CHECK(access((rec + "/bob.ts").c_str(), F_OK) != 0);  // never your own
    const Probe m = probe(rec + "/mix.wav");
    INFO(m.text);
    CHECK(m.duration > 3);
    // The last 2 s of the mix: alice's and carol's tones, not bob's own.
    const std::vector<float> x = wav_samples(rec + "/mix.wav");
    REQUIRE(x.size() > 3 * 48000);
    const auto last = slice(x, x.size() - 2 * 48000, 2 * 48000);
    const double a = goertzel(last, participant_tone_hz(0)),
                 b = goertzel(last, participant_tone_hz(1)),
                 c = goertzel(last, participant_tone_hz(2));
    MESSAGE("mix.wav: alice " << a << ", bob (self) " << b << ", carol " << c);
    CHECK(a > 0.02);
    CHECK(c > 0.02);
    CHECK(b < a / 20);
}

TEST_CASE(
    "recording starts and stops over the control socket: the files stop growing, a second take "
    "gets new names, a directory that cannot be made is refused") {
    TempDir dir;
    TestRoom room = make_room(dir, "ctlrec", {"alice", "bob"});
    Daemon alice(dir, room, "alice"), bob(dir, room, "bob");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    INFO(bob.log_text());
    CHECK(bob.status().value_or(nlohmann::json::object())["recording"].is_null());
    REQUIRE(wait_until([&] { return bob.peer("alice").value("video_frames", 0) > 0; }, 10s));
    const std::string rec = dir.file("takes");
    // The CLI, with a relative directory.
    RunResult started = run(
        {"sh", "-c",
         "cd " + dir.path() + " && " + MESHCALL_BIN + " record takes --control " + bob.control()},
        10s);
    INFO(started.out << started.err);
    REQUIRE(started.status == 0);
    CHECK(started.out.find(rec) != std::string::npos);
    CHECK(bob.status().value_or(nlohmann::json::object())["recording"]["dir"] == rec);
    REQUIRE(wait_until(
        [&] { return file_size(rec + "/alice.ts") > 50000 && file_size(rec + "/mix.wav") > 96000; },
        15s));
    const auto stopped = bob.request(R"({"cmd":"record","stop":true})");
    REQUIRE(stopped);
    INFO(stopped->dump());
    CHECK((*stopped)["ok"] == true);
    CHECK((*stopped)["stopped"]["dir"] == rec);
    CHECK((*stopped)["stopped"]["bytes"].get<off_t>() ==
          file_size(rec + "/alice.ts") + file_size(rec + "/mix.wav"));
    CHECK(bob.status().value_or(nlohmann::json::object())["recording"].is_null());
    const auto ts = file_size(rec + "/alice.ts"), mix = file_size(rec + "/mix.wav");
    // Nothing more is written: a second of the call later the files are as they were.
    std::this_thread::sleep_for(1s);
    CHECK(file_size(rec + "/alice.ts") == ts);
    CHECK(file_size(rec + "/mix.wav") == mix);
    const Probe p = probe(rec + "/alice.ts");
    INFO(p.text);
    CHECK(has(p.codecs, "h264"));
    CHECK(probe(rec + "/mix.wav").duration > 0.5);
    // Again into the same directory: a second take beside the first, which stays whole.
    const auto again = bob.request(R"({"cmd":"record","dir":")" + rec + R"("})");
    REQUIRE(again);
    CHECK((*again)["ok"] == true);
    CHECK(wait_until([&] { return file_size(rec + "/alice-2.ts") > 0; }, 10s));
    CHECK(file_size(rec + "/mix-2.wav") > 0);
    CHECK(file_size(rec + "/alice.ts") == ts);
    const auto twice = bob.request(R"({"cmd":"record","dir":")" + rec + R"("})");
    REQUIRE(twice);
    CHECK((*twice)["ok"] == false);
    CHECK(run({MESHCALL_BIN, "record", "--stop", "--control", bob.control()}, 10s).status == 0);
    // A directory under a regular file cannot be made: refused, naming it; the call goes on.
    dir.write("plain", "x");
    const std::string bad = dir.file("plain/rec");
    const auto refused = bob.request(R"({"cmd":"record","dir":")" + bad + R"("})");
    REQUIRE(refused);
    CHECK((*refused)["ok"] == false);
    CHECK((*refused)["error"].get<std::string>().find(bad) != std::string::npos);
    const auto relative = bob.request(R"({"cmd":"record","dir":"rel"})");
    REQUIRE(relative);
    CHECK((*relative)["ok"] == false);
    CHECK(bob.status().value_or(nlohmann::json::object())["recording"].is_null());
    // And at the start: exit 2, naming it.
    TestRoom other = make_room(dir, "badrec", {"dave", "erin"});
    RunResult r = run({MESHCALLD_BIN, "--room", other.path, "--as", "dave", "--headless", "--video",
                       "none", "--audio", "none", "--record", bad, "--control", dir.file("x.sock"),
                       "--profile", dir.file("none.json")},
                      10s);
    CHECK(r.status == 2);
    CHECK(r.err.find(bad) != std::string::npos);
    // Started and stopped recordings leave a clean exit (leak-checked under the sanitizers).
    bob.process().signal(SIGTERM);
    CHECK(bob.process().wait(5s) == 0);
}
