// GuestCommands for a sender: stock ffmpeg from camera and microphone to every receiving peer.
#include <string>

#include "client/guest_commands.hpp"

namespace meshcall {

namespace {

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

// Each receiver's copy of the stream: one MPEG-TS muxer per receiver (the tee muxer), cut and
// flushed like meshcalld's (PES lengths written, no audio batching, no mux delay), sent from the
// sender's listed port - each output opens its own socket, so every one binds that port with
// SO_REUSEADDR (reuse=1). A receiver that is away does not stop the others (onfail=ignore).
std::string tee_outputs(const Room& room, std::size_t sender) {
    const std::string slave =
        "[f=mpegts:onfail=ignore:omit_video_pes_length=0:pes_payload_size=0:flush_packets=1:"
        "max_delay=0]";
    const std::string options =
        "?localport=" + std::to_string(room.peers[sender].port) + "&reuse=1&pkt_size=1316";
    std::string out;
    for (std::size_t r = 0; r < room.peers.size(); ++r) {
        // A participant with no host (behind a NAT) cannot be reached by a stock sender.
        if (r == sender || !room.peers[r].receives() || !room.destination(r, sender).known())
            continue;
        if (!out.empty()) out += "|";
        out += slave + "udp://" + room.destination(r, sender).to_string() + options;
    }
    return out;
}

// Encoding as meshcalld does it: H.264 with a one-second intra refresh (no big keyframes, a
// joiner starts within a second), the room's size, rate and bitrate; Opus mono at 48 kHz.
std::vector<std::string> encode_args(const Room& room, std::size_t sender) {
    const VideoSettings& v = room.video;
    const std::string fps = std::to_string(v.fps), kbps = std::to_string(v.bitrate_kbps) + "k";
    return {"-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-intra-refresh",
            "1",
            "-g",
            fps,
            "-pix_fmt",
            "yuv420p",
            "-s",
            std::to_string(v.width) + "x" + std::to_string(v.height),
            "-r",
            fps,
            "-b:v",
            kbps,
            "-maxrate",
            kbps,
            "-bufsize",
            std::to_string(v.bitrate_kbps / 2) + "k",
            "-c:a",
            "libopus",
            "-application",
            "voip",
            "-b:a",
            std::to_string(room.audio.bitrate_kbps) + "k",
            "-ar",
            "48000",
            "-ac",
            "1",
            "-metadata",
            "service_name=" + room.peers[sender].name};
}

struct Platform {
    const char* os;
    const char* comment;
    std::vector<std::string> inputs;  // up to and including the last -i
    std::vector<std::string> maps;
};

std::vector<Platform> platforms(const Room& room) {
    const std::string fps = std::to_string(room.video.fps);
    const std::string size =
        std::to_string(room.video.width) + "x" + std::to_string(room.video.height);
    const std::vector<std::string> camera = {
        "-f", "v4l2", "-thread_queue_size", "512", "-framerate", fps, "-video_size",
        size, "-i",   "/dev/video0"};
    const std::vector<std::string> two = {"-map", "0:v:0", "-map", "1:a:0"};
    const std::vector<std::string> one = {"-map", "0:v:0", "-map", "0:a:0"};
    std::vector<std::string> alsa = camera, pulse = camera;
    append(alsa, {"-f", "alsa", "-thread_queue_size", "512", "-i", "default"});
    append(pulse, {"-f", "pulse", "-thread_queue_size", "512", "-i", "default"});
    return {
        {"linux", "Linux: camera /dev/video0, microphone ALSA default", alsa, two},
        {"linux-pulse", "Linux with PulseAudio/PipeWire: camera /dev/video0, default source", pulse,
         two},
        {"macos",
         "macOS: camera 0 and microphone 0 (list: ffmpeg -f avfoundation -list_devices "
         "true -i \"\")",
         {"-f", "avfoundation", "-thread_queue_size", "512", "-framerate", fps, "-i", "0:0"},
         one},
        {"windows",
         "Windows: put your device names in (list: ffmpeg -list_devices true -f "
         "dshow -i dummy)",
         {"-f", "dshow", "-thread_queue_size", "512", "-i",
          "video=YOUR CAMERA:audio=YOUR MICROPHONE"},
         one},
    };
}

}  // namespace

std::vector<GuestCommand> sender_commands(const Room& room, std::size_t sender) {
    std::vector<GuestCommand> out;
    const std::string outputs = tee_outputs(room, sender);
    for (const Platform& p : platforms(room)) {
        GuestCommand c;
        c.what = "sender";
        c.os = p.os;
        c.comment = p.comment;
        c.argv = {"ffmpeg", "-hide_banner"};
        append(c.argv, p.inputs);
        append(c.argv, p.maps);
        append(c.argv, encode_args(room, sender));
        append(c.argv, {"-f", "tee", outputs});
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace meshcall
