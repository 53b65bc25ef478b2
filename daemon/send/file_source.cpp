// FileSource: lavfi graphs over a file, and the check that it holds the stream asked for.
#include "daemon/send/file_source.hpp"

#include <cstring>

#include "config/error.hpp"
#include "daemon/util/av_ptr.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

namespace meshcall {

namespace {

std::string escape(const std::string& text, const char* specials) {
    std::string out;
    for (char c : text) {
        if (std::strchr(specials, c) || c == ' ' || c == '\t' || c == '\n' || c == '\r')
            out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::string lavfi_escape_path(const std::string& path) {
    // Both parsers use av_get_token: a backslash keeps the next character whatever it is.
    return escape(escape(path, "\\':"), "\\'[],;");
}

std::string file_video_graph(const std::string& path, const VideoSettings& v) {
    const std::string w = std::to_string(v.width), h = std::to_string(v.height),
                      fps = std::to_string(v.fps);
    // movie's loop does not move the timestamps on: each pass starts again at the file's
    // first. setpts continues from the last output instead (one frame of the room's rate
    // after it at a restart), so fps and realtime see time go on.
    const std::string monotonic =
        "setpts='if(isnan(PREV_OUTPTS),0,PREV_OUTPTS+if(gt(PTS,PREV_INPTS),PTS-PREV_INPTS,1/(" +
        fps + "*TB)))'";
    return "movie=filename=" + lavfi_escape_path(path) + ":loop=0," + monotonic + ",fps=" + fps +
           ",scale=" + w + ":" + h +
           ":force_original_aspect_ratio=decrease:force_divisible_by=2,pad=" + w + ":" + h +
           ":(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,realtime";
}

std::string file_audio_graph(const std::string& path) {
    return "amovie=filename=" + lavfi_escape_path(path) +
           ":loop=0,asetpts=N/SR/TB,aresample=48000,aformat=sample_fmts=flt:channel_layouts=mono,"
           "arealtime";
}

void check_file_stream(const std::string& path, AVMediaType type) {
    const char* kind = type == AVMEDIA_TYPE_VIDEO ? "video" : "audio";
    const std::string label = std::string("--") + kind + " file:" + path;
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (rc < 0) throw ConfigError(label + ": cannot read it: " + av_error_text(rc));
    InputContextPtr format(raw);
    rc = avformat_find_stream_info(raw, nullptr);
    if (rc < 0) throw ConfigError(label + ": cannot read its streams: " + av_error_text(rc));
    const AVCodec* decoder = nullptr;
    rc = av_find_best_stream(raw, type, -1, -1, &decoder, 0);
    if (rc == AVERROR_STREAM_NOT_FOUND)
        throw ConfigError(label + ": the file has no " + kind + " stream");
    if (rc < 0 || !decoder)
        throw ConfigError(label + ": this FFmpeg cannot decode its " + kind + " (" +
                          (rc < 0 ? av_error_text(rc) : std::string("no decoder")) + ")");
}

}  // namespace meshcall
