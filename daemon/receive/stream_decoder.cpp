// StreamDecoder: opening one stream's decoder.
#include "daemon/receive/stream_decoder.hpp"

namespace meshcall {

bool StreamDecoder::open(const AVStream& stream, const DecoderOptions& options,
                         std::string& error) {
    stream_ = -1;
    ctx_ = open_decoder(stream, options, error);
    if (!ctx_) return false;
    stream_ = stream.index;
    return true;
}

}  // namespace meshcall
