// OpusAudioDecoder: libopus's decoder for one peer's Opus stream, mono float at 48 kHz out.
// Used directly rather than through libavcodec because only libopus can conceal a lost packet
// (PLC) or recover it from the next packet's in-band FEC; libavcodec's decode API has no way
// to ask for either (an empty packet there means end of stream). One thread: that peer's
// receiver.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct OpusDecoder;

namespace meshcall {

class OpusAudioDecoder {
  public:
    static constexpr int kRate = 48000;
    static constexpr int kMaxFrame = kRate * 120 / 1000;  // libopus's longest packet, 120 ms

    // `channels`: 1 or 2 (std::invalid_argument otherwise).
    explicit OpusAudioDecoder(int channels);

    // Decodes one packet into `out` (replaced, downmixed to mono). Returns the sample count,
    // or < 0 if libopus rejected the packet (`out` is then empty).
    int decode(std::span<const uint8_t> packet, std::vector<float>& out);
    // Makes up `samples` of sound lost just before `next` (rounded down to 2.5 ms steps, at
    // most 120 ms): recovered from `next`'s in-band FEC where the sender put it there,
    // otherwise concealed by extrapolating what came before. Returns the sample count.
    int conceal(int samples, std::span<const uint8_t> next, std::vector<float>& out);
    // Samples in one packet, or < 0 if it is not a valid Opus packet.
    static int packet_samples(std::span<const uint8_t> packet);

  private:
    int run(const uint8_t* data, int size, int samples, bool fec, std::vector<float>& out);

    struct Free {
        void operator()(OpusDecoder* d) const;
    };
    std::unique_ptr<OpusDecoder, Free> dec_;
    int channels_;
    std::vector<float> pcm_;  // interleaved, before the downmix
};

}  // namespace meshcall
