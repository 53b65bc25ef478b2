// meshcall-bench-probe: reads the wall-clock code that scripts/bench burns into the top rows of
// each picture (bench/pixel_code.hpp) and prints, per decoded frame, how old the picture is.
//
//   ... ffmpeg ... -c:v rawvideo -threads 1 -pix_fmt yuv420p -f rawvideo - | meshcall-bench-probe
//   --raw 640x480
//       one line per frame: "WALL_US LATENCY_US" ("-" when no code could be read)
//   meshcall-bench-probe --udp BIND_HOST:PORT --from HOST:PORT --seconds S
//       receives a meshcall TS stream itself, demuxes and decodes it the way meshcalld does (no
//       probing, no parser, one decoder thread, low delay) and prints per frame
//       "WALL_US PIXEL_LATENCY_US STAMP_LATENCY_US" (the second from meshcall's SEI capture stamp),
//       then "summary seconds=.. datagrams=.. bytes=.. video_es=.. audio_es=.. frames=..":
//       the wire bytes against the codec payload (Opus counted without its TS control headers).
//       It sends a TS null packet to the sender once a second, as meshcalld stops sending media
//       to a peer it has not heard from for 10 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "bench/cli.hpp"
#include "bench/endpoint.hpp"
#include "bench/pixel_code.hpp"
#include "daemon/util/frame_stamp.hpp"
#include "protocol/opus_ts.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "meshcall-bench-probe: %s\n", what.c_str());
    std::exit(2);
}

int64_t wall_us() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

int64_t mono_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

void print_latency(std::optional<int64_t> v) {
    if (v)
        std::printf(" %lld", static_cast<long long>(*v));
    else
        std::printf(" -");
}

int run_raw(int width, int height) {
    const std::size_t frame_size = std::size_t(width) * height * 3 / 2;
    std::vector<uint8_t> frame(frame_size);
    for (;;) {
        std::size_t got = 0;
        while (got < frame_size) {
            const ssize_t r = read(0, frame.data() + got, frame_size - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return 0;
            got += static_cast<std::size_t>(r);
        }
        const int64_t now = wall_us();
        std::printf("%lld", static_cast<long long>(now));
        print_latency(meshcall::bench::code_age_us(frame.data(), width, width, height, now));
        std::printf("\n");
        std::fflush(stdout);
    }
}

struct UdpInput {
    int fd = -1;
    sockaddr_in from{};
    int64_t started = -1, end = -1, seconds_us = 0, next_keepalive = 0;
    uint64_t datagrams = 0, bytes = 0;
    std::vector<uint8_t> pending;
    std::size_t pos = 0;

    static int read(void* opaque, uint8_t* buf, int size) {
        auto* self = static_cast<UdpInput*>(opaque);
        while (self->pos >= self->pending.size()) {
            const int64_t now = mono_us();
            if (self->end >= 0 && now >= self->end) return AVERROR_EOF;
            if (now >= self->next_keepalive) {
                // Keep-alive: meshcalld backs off from a peer silent for 10 s.
                uint8_t null_packet[188];
                std::memset(null_packet, 0xff, sizeof null_packet);
                null_packet[0] = 0x47, null_packet[1] = 0x1f, null_packet[2] = 0xff,
                null_packet[3] = 0x10;
                sendto(self->fd, null_packet, sizeof null_packet, MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&self->from), sizeof self->from);
                self->next_keepalive = now + 1'000'000;
            }
            pollfd pfd{self->fd, POLLIN, 0};
            if (poll(&pfd, 1, 100) <= 0) continue;
            uint8_t datagram[2048];
            sockaddr_in src{};
            socklen_t len = sizeof src;
            const ssize_t r = recvfrom(self->fd, datagram, sizeof datagram, 0,
                                       reinterpret_cast<sockaddr*>(&src), &len);
            if (r <= 0 || src.sin_addr.s_addr != self->from.sin_addr.s_addr ||
                src.sin_port != self->from.sin_port)
                continue;  // not the sender we listen to
            if (self->started < 0) {
                self->started = mono_us();
                self->end = self->started + self->seconds_us;
            }
            ++self->datagrams;
            self->bytes += static_cast<uint64_t>(r);
            self->pending.assign(datagram, datagram + r);
            self->pos = 0;
        }
        const int n = std::min<int>(size, static_cast<int>(self->pending.size() - self->pos));
        std::memcpy(buf, self->pending.data() + self->pos, static_cast<std::size_t>(n));
        self->pos += static_cast<std::size_t>(n);
        return n;
    }
};

int run_udp(const std::string& bind_to, const std::string& from, double seconds) {
    UdpInput in;
    in.from = *meshcall::bench::parse_endpoint(from);
    in.seconds_us = static_cast<int64_t>(seconds * 1e6);
    const sockaddr_in local = *meshcall::bench::parse_endpoint(bind_to);
    in.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (in.fd < 0 || bind(in.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
        die("cannot bind " + bind_to + ": " + std::strerror(errno));
    // Give up if nothing comes at all.
    in.end = mono_us() + static_cast<int64_t>((seconds + 10) * 1e6);

    constexpr int kBuf = 64 * 1024;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kBuf));
    AVIOContext* io = avio_alloc_context(buffer, kBuf, 0, &in, &UdpInput::read, nullptr, nullptr);
    io->seekable = 0;
    AVFormatContext* fmt = avformat_alloc_context();
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOBUFFER;
    fmt->probesize = 32 * 1024;
    fmt->max_analyze_duration = 0;
    if (avformat_open_input(&fmt, nullptr, av_find_input_format("mpegts"), nullptr) < 0)
        die("no MPEG-TS stream from " + from);

    AVCodecContext* dec = nullptr;
    int video_stream = -1;
    uint64_t video_es = 0, audio_es = 0, frames = 0;
    AVPacket* pkt = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
        const AVCodecParameters* par = fmt->streams[pkt->stream_index]->codecpar;
        if (par->codec_id == AV_CODEC_ID_OPUS) {
            for (auto unit :
                 meshcall::split_opus_ts({pkt->data, static_cast<std::size_t>(pkt->size)}))
                audio_es += unit.size();
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            audio_es += static_cast<uint64_t>(pkt->size);
        } else if (par->codec_id == AV_CODEC_ID_H264) {
            video_es += static_cast<uint64_t>(pkt->size);
            if (video_stream != pkt->stream_index) {
                avcodec_free_context(&dec);
                const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
                dec = avcodec_alloc_context3(codec);
                avcodec_parameters_to_context(dec, par);
                dec->thread_count = 1;
                dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
                if (avcodec_open2(dec, codec, nullptr) < 0) die("cannot open the H.264 decoder");
                video_stream = pkt->stream_index;
            }
            if (avcodec_send_packet(dec, pkt) >= 0) {
                while (avcodec_receive_frame(dec, frame) >= 0) {
                    const int64_t now = wall_us();
                    ++frames;
                    std::printf("%lld", static_cast<long long>(now));
                    print_latency(meshcall::bench::code_age_us(frame->data[0], frame->linesize[0],
                                                               frame->width, frame->height, now));
                    std::optional<int64_t> stamp = meshcall::read_capture_stamp(frame);
                    print_latency(stamp ? std::optional<int64_t>(now - *stamp) : std::nullopt);
                    std::printf("\n");
                    av_frame_unref(frame);
                }
            }
        }
        av_packet_unref(pkt);
    }
    const double measured = in.started < 0 ? 0 : (mono_us() - in.started) / 1e6;
    std::printf(
        "summary seconds=%.3f datagrams=%llu bytes=%llu video_es=%llu audio_es=%llu frames=%llu\n",
        measured, (unsigned long long)in.datagrams, (unsigned long long)in.bytes,
        (unsigned long long)video_es, (unsigned long long)audio_es, (unsigned long long)frames);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    av_freep(&io->buffer);
    avio_context_free(&io);
    close(in.fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string raw, udp, from;
    double seconds = 20;
    CLI::App app{
        "meshcall-bench-probe: reads the pixel code (and meshcall's capture stamp) from "
        "decoded pictures, one line per picture",
        "meshcall-bench-probe"};
    auto* raw_opt = app.add_option("--raw", raw, "Read rawvideo gray frames WIDTHxHEIGHT on stdin");
    auto* udp_opt = app.add_option("--udp", udp, "Receive MPEG-TS on HOST:PORT")
                        ->check(meshcall::bench::check_endpoint)
                        ->excludes(raw_opt);
    app.add_option("--from", from, "The sender's HOST:PORT (with --udp)")
        ->check(meshcall::bench::check_endpoint)
        ->needs(udp_opt);
    app.add_option("--seconds", seconds, "How long to listen (with --udp)")
        ->check(CLI::Range(0.001, 86400.0));
    if (auto rc = meshcall::bench::parse_cli(app, argc, argv)) return *rc;
    av_log_set_level(AV_LOG_FATAL);  // a cut stream at the end is expected
    if (!raw.empty()) {
        int w = 0, h = 0;
        if (std::sscanf(raw.c_str(), "%dx%d", &w, &h) != 2 || w < 64 || h < 32)
            die("--raw WIDTHxHEIGHT");
        return run_raw(w, h);
    }
    if (!udp.empty() && !from.empty()) return run_udp(udp, from, seconds);
    std::fprintf(stderr, "%s", app.help().c_str());
    return 2;
}
