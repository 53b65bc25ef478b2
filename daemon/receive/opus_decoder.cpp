// OpusAudioDecoder: libopus decode, FEC and packet-loss concealment.
#include "daemon/receive/opus_decoder.hpp"

#include <opus.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace meshcall {

void OpusAudioDecoder::Free::operator()(OpusDecoder* d) const {
    opus_decoder_destroy(d);
}

OpusAudioDecoder::OpusAudioDecoder(int channels) : channels_(channels) {
    if (channels != 1 && channels != 2)
        throw std::invalid_argument("Opus with " + std::to_string(channels) + " channels");
    int err = OPUS_OK;
    dec_.reset(opus_decoder_create(kRate, channels, &err));
    if (!dec_ || err != OPUS_OK)
        throw std::runtime_error(std::string("opus_decoder_create: ") + opus_strerror(err));
    pcm_.resize(static_cast<std::size_t>(kMaxFrame * channels));
}

int OpusAudioDecoder::packet_samples(std::span<const uint8_t> packet) {
    if (packet.empty() || packet.size() > 1275 * 48) return OPUS_INVALID_PACKET;
    return opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()), kRate);
}

int OpusAudioDecoder::decode(std::span<const uint8_t> packet, std::vector<float>& out) {
    if (packet.empty()) {
        out.clear();
        return OPUS_INVALID_PACKET;
    }
    return run(packet.data(), static_cast<int>(packet.size()), kMaxFrame, false, out);
}

int OpusAudioDecoder::conceal(int samples, std::span<const uint8_t> next, std::vector<float>& out) {
    samples = std::min(samples, kMaxFrame) / (kRate / 400) * (kRate / 400);  // 2.5 ms steps
    out.clear();
    if (samples <= 0) return 0;
    int r = -1;
    if (!next.empty()) r = run(next.data(), static_cast<int>(next.size()), samples, true, out);
    if (r < 0) r = run(nullptr, 0, samples, false, out);  // plain concealment
    return r;
}

int OpusAudioDecoder::run(const uint8_t* data, int size, int samples, bool fec,
                          std::vector<float>& out) {
    const int n = opus_decode_float(dec_.get(), data, size, pcm_.data(), samples, fec ? 1 : 0);
    if (n < 0) {
        out.clear();
        return n;
    }
    out.resize(static_cast<std::size_t>(n));
    if (channels_ == 1) {
        std::copy_n(pcm_.begin(), n, out.begin());
    } else {
        for (int i = 0; i < n; ++i) out[i] = 0.5f * (pcm_[2 * i] + pcm_[2 * i + 1]);
    }
    return n;
}

}  // namespace meshcall
