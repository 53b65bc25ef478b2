// Test support: the samples of a 16-bit mono WAV, also one still being written (WavRecorder's
// header says "unknown size" while recording): everything after the "data" chunk's header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace meshcall::test {

// From byte `from_byte` of the file on, if that is past the data chunk's header.
inline std::vector<float> wav_samples(const std::string& path, std::size_t from_byte = 0) {
    const std::string b = read_file(path);
    std::vector<float> out;
    for (std::size_t at = 12; at + 8 <= b.size();) {
        const uint32_t size = uint32_t(uint8_t(b[at + 4])) | uint32_t(uint8_t(b[at + 5])) << 8 |
                              uint32_t(uint8_t(b[at + 6])) << 16 |
                              uint32_t(uint8_t(b[at + 7])) << 24;
        if (b.compare(at, 4, "data") == 0) {
            const std::size_t first = at + 8 > from_byte ? at + 8 : from_byte;
            for (std::size_t i = first; i + 1 < b.size(); i += 2)
                out.push_back(float(int16_t(uint8_t(b[i]) | uint8_t(b[i + 1]) << 8)) / 32768.f);
            break;
        }
        at += 8 + size + (size & 1);
    }
    return out;
}

}  // namespace meshcall::test
