// Tests config/profile and config/source: the per-user profile and the --video / --audio values.
#include "config/profile.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "config/error.hpp"
#include "config/source.hpp"
#include "tests/support/process.hpp"

using meshcall::AudioSource;
using meshcall::ConfigError;
using meshcall::Profile;
using meshcall::VideoSource;

namespace {

const std::string kLabel = "profile.json";

std::string profile_error(const std::string& text) {
    try {
        (void)meshcall::parse_profile(text, kLabel);
    } catch (const ConfigError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not a ConfigError: ") + e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void check_error(const std::string& error, const std::string& path, const std::string& problem) {
    INFO("error text: ", error);
    CHECK(contains(error, kLabel + ": " + path + ": "));
    CHECK(contains(error, problem));
}

// Sets an environment variable for the scope of one test and restores it afterwards.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

// ---- profile ----------------------------------------------------------------------------------

TEST_CASE("profile: an empty object is an empty profile") {
    const Profile p = meshcall::parse_profile("{}", kLabel);
    CHECK(!p.name);
    CHECK(!p.video);
    CHECK(!p.audio);
}

TEST_CASE("profile: name, video and audio are read with their devices") {
    const Profile p = meshcall::parse_profile(
        R"({"name": "alice", "video": "camera:/dev/video2", "audio": "mic:alsa_input.usb"})",
        kLabel);
    REQUIRE(p.name);
    CHECK(*p.name == "alice");
    REQUIRE(p.video);
    CHECK(p.video->kind == VideoSource::Kind::camera);
    CHECK(p.video->device == "/dev/video2");
    CHECK(p.video->explicit_);
    REQUIRE(p.audio);
    CHECK(p.audio->kind == AudioSource::Kind::mic);
    CHECK(p.audio->device == "alsa_input.usb");
    CHECK(p.audio->explicit_);
}

TEST_CASE("profile: each field is optional on its own") {
    const Profile p = meshcall::parse_profile(R"({"audio": "tone"})", kLabel);
    CHECK(!p.name);
    CHECK(!p.video);
    REQUIRE(p.audio);
    CHECK(p.audio->kind == AudioSource::Kind::tone);
    CHECK(p.audio->device.empty());
}

TEST_CASE("profile error: an unknown key") {
    check_error(profile_error(R"({"name": "alice", "nick": "al"})"), "nick", "unknown key");
}

TEST_CASE("profile error: a name that is not a valid name") {
    check_error(profile_error(R"({"name": "alice smith"})"), "name",
                "\"alice smith\" is not a valid name");
    check_error(profile_error(R"({"name": ""})"), "name", "is not a valid name");
}

TEST_CASE("profile error: a name that is not a string") {
    check_error(profile_error(R"({"name": 7})"), "name", "must be a string, not a number");
}

TEST_CASE("profile error: a video value that is not a source") {
    check_error(profile_error(R"({"video": "webcam"})"), "video",
                "\"webcam\" is not a video source");
    check_error(profile_error(R"({"video": "test:1"})"), "video",
                "\"test:1\" is not a video source");
    check_error(profile_error(R"({"video": false})"), "video", "must be a string, not a boolean");
}

TEST_CASE("profile error: an audio value that is not a source") {
    check_error(profile_error(R"({"audio": "speaker"})"), "audio",
                "\"speaker\" is not an audio source");
    check_error(profile_error(R"({"audio": "none:x"})"), "audio",
                "\"none:x\" is not an audio source");
}

TEST_CASE("profile error: not JSON, empty, or not an object") {
    const std::string not_json = profile_error("{\"name\": alice}");
    INFO("error text: ", not_json);
    CHECK(contains(not_json, "profile.json: not valid JSON (line 1, column"));
    CHECK(contains(profile_error(""), "profile.json: "));
    CHECK(contains(profile_error(""), "empty"));
    check_error(profile_error("[]"), "(top level)", "must be a JSON object, not an array");
}

TEST_CASE("profile: load_profile of a missing file is an empty profile") {
    meshcall::test::TempDir dir;
    const Profile p = meshcall::load_profile(dir.file("profile.json"));
    CHECK(!p.name);
    CHECK(!p.video);
    CHECK(!p.audio);
}

TEST_CASE("profile: load_profile reads a file and names it in errors") {
    meshcall::test::TempDir dir;
    dir.write("profile.json", R"({"name": "bob", "video": "test", "audio": "none"})");
    const Profile p = meshcall::load_profile(dir.file("profile.json"));
    REQUIRE(p.name);
    CHECK(*p.name == "bob");
    REQUIRE(p.video);
    CHECK(p.video->kind == VideoSource::Kind::test);
    REQUIRE(p.audio);
    CHECK(p.audio->kind == AudioSource::Kind::none);

    dir.write("profile.json", R"({"video": "hologram"})");
    std::string error;
    try {
        (void)meshcall::load_profile(dir.file("profile.json"));
    } catch (const ConfigError& e) {
        error = e.what();
    }
    INFO("error text: ", error);
    CHECK(contains(error, "profile.json: video: \"hologram\" is not a video source"));
}

TEST_CASE("profile: config_dir follows XDG_CONFIG_HOME, else HOME/.config") {
    {
        ScopedEnv xdg("XDG_CONFIG_HOME", "/tmp/xdg-test");
        CHECK(meshcall::config_dir() == "/tmp/xdg-test/meshcall");
        CHECK(meshcall::default_profile_path() == "/tmp/xdg-test/meshcall/profile.json");
    }
    {
        ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
        ScopedEnv home("HOME", "/tmp/home-test");
        CHECK(meshcall::config_dir() == "/tmp/home-test/.config/meshcall");
    }
    {
        // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
        ScopedEnv xdg("XDG_CONFIG_HOME", "relative/dir");
        ScopedEnv home("HOME", "/tmp/home-test");
        CHECK(meshcall::config_dir() == "/tmp/home-test/.config/meshcall");
    }
}

// ---- sources ----------------------------------------------------------------------------------

TEST_CASE("source: video sources with and without a device") {
    std::string error;
    auto camera = meshcall::parse_video_source("camera", error);
    REQUIRE(camera);
    CHECK(camera->kind == VideoSource::Kind::camera);
    CHECK(camera->device.empty());
    CHECK(camera->to_string() == "camera");

    auto dev = meshcall::parse_video_source("camera:/dev/video1", error);
    REQUIRE(dev);
    CHECK(dev->device == "/dev/video1");
    CHECK(dev->to_string() == "camera:/dev/video1");

    auto screen = meshcall::parse_video_source("screen::1.0", error);
    REQUIRE(screen);
    CHECK(screen->kind == VideoSource::Kind::screen);
    CHECK(screen->device == ":1.0");
    CHECK(screen->to_string() == "screen::1.0");

    auto test = meshcall::parse_video_source("test", error);
    REQUIRE(test);
    CHECK(test->kind == VideoSource::Kind::test);
    auto none = meshcall::parse_video_source("none", error);
    REQUIRE(none);
    CHECK(none->kind == VideoSource::Kind::none);
    CHECK(none->to_string() == "none");
}

TEST_CASE("source: audio sources with and without a device") {
    std::string error;
    auto mic = meshcall::parse_audio_source("mic", error);
    REQUIRE(mic);
    CHECK(mic->kind == AudioSource::Kind::mic);
    CHECK(mic->device.empty());
    auto dev = meshcall::parse_audio_source("mic:hw:1,0", error);
    REQUIRE(dev);
    CHECK(dev->device == "hw:1,0");
    CHECK(dev->to_string() == "mic:hw:1,0");
    auto tone = meshcall::parse_audio_source("tone", error);
    REQUIRE(tone);
    CHECK(tone->kind == AudioSource::Kind::tone);
    CHECK(tone->to_string() == "tone");
    auto none = meshcall::parse_audio_source("none", error);
    REQUIRE(none);
    CHECK(none->kind == AudioSource::Kind::none);
}

TEST_CASE("source: values that are not sources give an error listing the choices") {
    std::string error;
    CHECK(!meshcall::parse_video_source("", error));
    CHECK(contains(error, "is not a video source (camera"));
    error.clear();
    CHECK(!meshcall::parse_video_source("Camera", error));
    CHECK(contains(error, "\"Camera\""));
    CHECK(!meshcall::parse_video_source("none:x", error));
    CHECK(!meshcall::parse_video_source("tone", error));
    error.clear();
    CHECK(!meshcall::parse_audio_source("", error));
    CHECK(contains(error, "is not an audio source (mic"));
    CHECK(!meshcall::parse_audio_source("tone:440", error));
    CHECK(!meshcall::parse_audio_source("camera", error));
    CHECK(!meshcall::parse_audio_source("test", error));
}

// Found by the profile fuzzer: see the room test of the same name.
TEST_CASE("profile: a number out of range (1e400) is a clear error, not a crash") {
    CHECK(profile_error(" 1e400o{").find("not valid JSON") != std::string::npos);
}
