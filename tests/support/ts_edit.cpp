// Test support: TS editing.
#include "tests/support/ts_edit.hpp"

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavutil/crc.h>
#include <libavutil/intreadwrite.h>
}

namespace meshcall::test {

std::size_t ts_payload_offset(const uint8_t* p) {
    if (p[0] != 0x47 || !(p[3] & 0x10)) return kTs;
    std::size_t pos = 4;
    if (p[3] & 0x20) pos += 1 + p[4];
    return pos < kTs ? pos : kTs;
}

namespace {
// Offset of the PES header in a packet that starts a PES, or kTs.
std::size_t pes_offset(const uint8_t* p) {
    if (!ts_unit_start(p)) return kTs;
    const std::size_t pos = ts_payload_offset(p);
    if (pos + 9 > kTs || p[pos] != 0 || p[pos + 1] != 0 || p[pos + 2] != 1) return kTs;
    return pos;
}

int64_t read_ts(const uint8_t* b) {
    return (int64_t(b[0] >> 1) & 7) << 30 | int64_t(b[1]) << 22 | int64_t(b[2] >> 1) << 15 |
           int64_t(b[3]) << 7 | int64_t(b[4] >> 1);
}

void write_ts(uint8_t* b, int64_t v) {
    b[0] = static_cast<uint8_t>((b[0] & 0xf0) | ((v >> 29) & 0x0e) | 1);
    b[1] = static_cast<uint8_t>(v >> 22);
    b[2] = static_cast<uint8_t>(((v >> 14) & 0xfe) | 1);
    b[3] = static_cast<uint8_t>(v >> 7);
    b[4] = static_cast<uint8_t>(((v << 1) & 0xfe) | 1);
}
}  // namespace

bool starts_audio_pes(std::span<const uint8_t> d) {
    for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) {
        const std::size_t pes = pes_offset(d.data() + off);
        if (pes == kTs) continue;
        const uint8_t id = d[off + pes + 3];
        if (id == 0xBD || (id & 0xE0) == 0xC0) return true;
    }
    return false;
}

std::optional<int> video_pes_pid(std::span<const uint8_t> d) {
    for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) {
        const std::size_t pes = pes_offset(d.data() + off);
        if (pes != kTs && (d[off + pes + 3] & 0xF0) == 0xE0) return ts_pid(d.data() + off);
    }
    return std::nullopt;
}

std::optional<int64_t> pes_pts(const uint8_t* p) {
    const std::size_t pes = pes_offset(p);
    if (pes == kTs || pes + 14 > kTs || !(p[pes + 7] & 0x80)) return std::nullopt;
    return read_ts(p + pes + 9);
}

bool shift_pes_timestamps(uint8_t* p, int64_t delta) {
    const std::size_t pes = pes_offset(p);
    if (pes == kTs || pes + 14 > kTs || !(p[pes + 7] & 0x80)) return false;
    constexpr int64_t kWrap = int64_t{1} << 33;
    auto shift = [&](uint8_t* b) { write_ts(b, (((read_ts(b) + delta) % kWrap) + kWrap) % kWrap); };
    shift(p + pes + 9);
    if ((p[pes + 7] & 0x40) && pes + 19 <= kTs) shift(p + pes + 14);
    return true;
}

void ContinuityRenumber::apply(uint8_t* p) {
    if (p[0] != 0x47 || !(p[3] & 0x10)) return;
    const int pid = ts_pid(p);
    if (pid == 0x1fff) return;
    p[3] = static_cast<uint8_t>((p[3] & 0xf0) | (next_[pid] & 0x0f));
    next_[pid] = static_cast<uint8_t>((next_[pid] + 1) & 0x0f);
}

std::array<uint8_t, kTs> ts_packet(int pid, bool unit_start, std::span<const uint8_t> payload) {
    std::array<uint8_t, kTs> p{};
    const std::size_t n = std::min<std::size_t>(payload.size(), kTs - 4);
    p[0] = 0x47;
    p[1] = static_cast<uint8_t>((unit_start ? 0x40 : 0) | ((pid >> 8) & 0x1f));
    p[2] = static_cast<uint8_t>(pid);
    std::size_t pos = 4;
    if (n < kTs - 4) {
        p[3] = 0x30;                             // adaptation field and payload
        const std::size_t af = kTs - 4 - n - 1;  // adaptation_field_length
        p[4] = static_cast<uint8_t>(af);
        if (af > 0) {
            p[5] = 0;  // no flags
            std::fill(p.begin() + 6, p.begin() + 5 + static_cast<std::ptrdiff_t>(af), 0xff);
        }
        pos = 5 + af;
    } else {
        p[3] = 0x10;
    }
    std::memcpy(p.data() + pos, payload.data(), n);
    return p;
}

std::vector<uint8_t> psi_payload(std::vector<uint8_t> section) {
    const uint32_t crc =
        av_crc(av_crc_get_table(AV_CRC_32_IEEE), UINT32_MAX, section.data(), section.size());
    uint8_t be[4];
    AV_WL32(be, crc);  // av_crc computes it bit-reversed: little-endian is MPEG-2 order
    section.insert(section.end(), be, be + 4);
    section.insert(section.begin(), 0);  // pointer field
    return section;
}

}  // namespace meshcall::test
