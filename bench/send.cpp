// meshcall-bench-send: meshcalld's own send path (capture thread, MediaSender: x264 + Opus, TS
// muxer, sendmmsg fan-out, SEI capture stamps) fed with meshcall's test pattern and tone, with
// the bench's wall-clock pixel code burnt into the picture: the stream carries both stamps, so
// the bench can show that meshcall's in-band stamp and the pixel method agree.
//
//   meshcall-bench-send --room ROOM.json --as NAME [--seconds S]   (sends until SIGTERM or S)
//   meshcall-bench-send --room ROOM.json --as NAME --print-graphs
//       prints "video GRAPH", "audio GRAPH" (meshcalld's test sources for NAME) and
//       "burn FILTERS" (the pixel code), for the stock-ffmpeg side of the bench.
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/cli.hpp"
#include "bench/pixel_code.hpp"
#include "config/room.hpp"
#include "daemon/send/capture_sources.hpp"
#include "daemon/send/media_sender.hpp"

namespace {
std::atomic<bool> g_stop{false};
}

int main(int argc, char** argv) {
    std::string room_path, name;
    double seconds = 0;
    bool print_graphs = false;
    CLI::App app{
        "meshcall-bench-send: meshcalld's send path with the pixel code burnt into its "
        "test pattern",
        "meshcall-bench-send"};
    app.add_option("--room", room_path, "The room file")->required()->check(CLI::ExistingFile);
    app.add_option("--as", name, "Which peer of the room sends")->required();
    app.add_option("--seconds", seconds, "How long to send (0: until interrupted)")
        ->check(CLI::Range(0.0, 86400.0));
    app.add_flag("--print-graphs", print_graphs, "Print the lavfi graphs and exit");
    if (auto rc = meshcall::bench::parse_cli(app, argc, argv)) return *rc;
    try {
        const meshcall::Room room = meshcall::load_room(room_path);
        const int self = meshcall::find_self(room, name, room_path);
        const std::string burn =
            meshcall::bench::burn_code_filters(room.video.width, room.video.fps);
        if (print_graphs) {
            std::printf("video %s\naudio %s\nburn %s\n",
                        meshcall::test_video_graph(room, self).c_str(),
                        meshcall::test_audio_graph(self).c_str(), burn.c_str());
            return 0;
        }
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);  // as meshcalld does
        mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);

        const meshcall::Address& me = room.peers[static_cast<std::size_t>(self)].address;
        const int fd = socket(me.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, me.sa(), me.length) != 0) {
            std::fprintf(stderr, "meshcall-bench-send: cannot bind %s: %s\n",
                         me.to_string().c_str(), std::strerror(errno));
            return 1;
        }

        // Video and tone as two inputs: one lavfi input with both outputs hands out whichever
        // frame has the lower timestamp, so a finished picture would wait for the next audio
        // block (up to 20 ms) after its pixel code was burnt in, before meshcall stamps it.
        meshcall::OpenedCapture capture;
        capture.video = {meshcall::VideoSource::Kind::test, "", true};
        capture.audio = {meshcall::AudioSource::Kind::tone, "", true};
        for (const std::string& graph :
             {meshcall::test_video_graph(room, self) + "," + burn + "[out0]",
              meshcall::test_audio_graph(self) + "[out0]"}) {
            std::string error;
            auto input = meshcall::CaptureInput::open({"bench pattern", "lavfi", graph, {}},
                                                      room.video, error);
            if (!input) {
                std::fprintf(stderr, "meshcall-bench-send: %s\n", error.c_str());
                return 1;
            }
            capture.inputs.push_back(std::move(input));
        }

        std::signal(SIGTERM, [](int) { g_stop = true; });
        std::signal(SIGINT, [](int) { g_stop = true; });
        {
            meshcall::LatestFrame self_view;
            // Sends to every other participant of the room.
            meshcall::MediaSender sender(room, self, std::move(capture), fd, self_view);
            sender.start();
            const auto end =
                std::chrono::steady_clock::now() +
                std::chrono::milliseconds(seconds > 0 ? int64_t(seconds * 1000) : int64_t{1} << 40);
            while (!g_stop && std::chrono::steady_clock::now() < end)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            sender.stop();
        }
        close(fd);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "meshcall-bench-send: %s\n", e.what());
        return 1;
    }
}
