// TS packets on the wire: header parsing and continuity accounting.
#include "protocol/ts_packet.hpp"

namespace meshcall {

namespace {
constexpr uint8_t kUnseen = 0xff;
constexpr uint16_t kNullPid = 0x1fff;
}  // namespace

bool parse_ts_header(std::span<const uint8_t, kTsPacketSize> p, TsHeader& out) {
    if (p[0] != kTsSync) return false;
    out.payload_start = (p[1] & 0x40) != 0;
    out.pid = static_cast<uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
    const uint8_t afc = (p[3] >> 4) & 0x3;
    out.has_payload = (afc & 0x1) != 0;
    out.continuity = p[3] & 0x0f;
    out.discontinuity = (afc & 0x2) && p[4] > 0 && (p[5] & 0x80);
    out.random_access = (afc & 0x2) && p[4] > 0 && (p[5] & 0x40);
    return true;
}

bool is_ts_datagram(std::span<const uint8_t> d) {
    if (d.empty() || d.size() > kMaxDatagram || d.size() % kTsPacketSize != 0) return false;
    for (std::size_t off = 0; off < d.size(); off += kTsPacketSize)
        if (d[off] != kTsSync) return false;
    return true;
}

void ContinuityTracker::reset() {
    last_.fill(kUnseen);
    initialised_ = true;
}

void ContinuityTracker::add_datagram(std::span<const uint8_t> d) {
    if (!initialised_) reset();
    for (std::size_t off = 0; off + kTsPacketSize <= d.size(); off += kTsPacketSize) {
        TsHeader h;
        if (!parse_ts_header(d.subspan(off).first<kTsPacketSize>(), h)) continue;
        if (h.payload_start && h.random_access && h.has_payload && last_[h.pid] != kUnseen &&
            h.continuity != ((last_[h.pid] + 1) & 0x0f)) {
            reset();  // a splice (another layer's stream): every PID starts again here
            break;
        }
    }
    for (std::size_t off = 0; off + kTsPacketSize <= d.size(); off += kTsPacketSize) {
        TsHeader h;
        if (!parse_ts_header(d.subspan(off).first<kTsPacketSize>(), h)) continue;
        ++packets_;
        if (h.pid == kNullPid || !h.has_payload) continue;  // counter only counts payload packets
        uint8_t& last = last_[h.pid];
        if (last != kUnseen && !h.discontinuity && h.continuity != last) {
            // A repeated counter is a legal duplicate; anything else is a gap.
            lost_ += static_cast<uint8_t>(h.continuity - last - 1) & 0x0f;
        }
        last = h.continuity;
    }
}

}  // namespace meshcall
