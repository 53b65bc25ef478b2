// FileSource: a file as the video or sound a participant sends (--video file:PATH,
// --audio file:PATH): the lavfi graphs that read it with the movie/amovie sources, looped forever
// and paced at real time, and the check made before the call starts that it has such a stream.
// Any thread (pure functions; check_file_stream opens the file on the caller's thread).
#pragma once

#include <string>

#include "config/room.hpp"

extern "C" {
#include <libavutil/avutil.h>
}

namespace meshcall {

// `path` as one option value inside a filtergraph description: escaped for the option parser
// (\ ' : and blanks), then again for the graph parser (\ ' [ ] , ; and blanks).
std::string lavfi_escape_path(const std::string& path);

// Reads `path`'s best video stream, looped; timestamps made monotonic across the loops (each
// restart follows the last picture by one frame), scaled into the room's size keeping its
// aspect (bars around it), converted to its rate, paced at real time.
std::string file_video_graph(const std::string& path, const VideoSettings& video);
// Reads `path`'s best audio stream, looped; timestamps counted in samples (monotonic across
// the loops), 48 kHz mono float, paced at real time.
std::string file_audio_graph(const std::string& path);

// Throws ConfigError naming the file when libav cannot read it or it has no stream of `type`
// (AVMEDIA_TYPE_VIDEO or AVMEDIA_TYPE_AUDIO) that it can decode.
void check_file_stream(const std::string& path, AVMediaType type);

}  // namespace meshcall
