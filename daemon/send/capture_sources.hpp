// CaptureSources: turns --video/--audio choices into opened capture inputs, with the defaults'
// fallbacks (no camera: a test pattern; no microphone: no sound), each announced once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/room.hpp"
#include "config/source.hpp"
#include "daemon/send/capture_input.hpp"

namespace meshcall {

struct OpenedCapture {
    std::vector<std::unique_ptr<CaptureInput>> inputs;
    VideoSource video;  // what is really sent, after fallbacks
    AudioSource audio;
};

// Opens what `video` and `audio` name for participant `self` of `room`. Throws
// std::runtime_error naming the device when an explicitly chosen source cannot be opened.
OpenedCapture open_capture(const VideoSource& video, const AudioSource& audio, const Room& room,
                           int self);

// The lavfi graph of the test pattern / tone (exposed for tests and benchmarks).
std::string test_video_graph(const Room& room, int self);
std::string test_audio_graph(int self);

}  // namespace meshcall
