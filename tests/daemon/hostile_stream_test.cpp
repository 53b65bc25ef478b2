// Hostile streams from a listed peer, made by rewriting a real meshcalld stream on its way:
// timestamps that wrap and jump back, a PMT that changes before every datagram, and pictures
// whose SPS claims 16384×16384. Each is survived or refused and counted; the call goes on for
// everyone else (carol, the control) and for the stream itself once it is sane again.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>

#include "tests/support/relayed_call.hpp"
#include "tests/support/ts_edit.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;

namespace {

uint64_t count(Daemon& d, const std::string& peer, const char* key) {
    auto p = d.peer(peer);
    return p.is_object() ? p.value(key, uint64_t{0}) : 0;
}

long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// The call is up: bob decodes alice through the relay, and carol.
void wait_call(RelayedCall& call) {
    REQUIRE(call.ready());
    REQUIRE(
        wait_until([&] { return call.bob().peer("alice").value("video_fps", 0.0) >= 25.0; }, 15s));
    REQUIRE(
        wait_until([&] { return call.bob().peer("carol").value("video_fps", 0.0) >= 25.0; }, 10s));
}

// What must hold after any hostile stream: bob alive and quick to answer, carol untouched,
// and alice's pictures coming again (30 within 4 s: refresh, and slack for a sanitized build on
// a busy machine) once her stream is sane again.
void check_aftermath(RelayedCall& call, uint64_t carol_errors_before) {
    Daemon& bob = call.bob();
    CHECK(bob.process().running());
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(bob.status().has_value());
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    CHECK(bob.peer("carol").value("video_fps", 0.0) >= 27.0);
    CHECK(count(bob, "carol", "decode_errors") == carol_errors_before);
    call.set_transform(nullptr);
    const uint64_t frames = count(bob, "alice", "video_frames");
    CHECK(wait_until([&] { return count(bob, "alice", "video_frames") >= frames + 30; }, 4s));
}

// A bit writer for H.264 parameter sets: Exp-Golomb codes, then emulation prevention.
struct Bits {
    std::vector<uint8_t> bytes;
    int used = 8;
    void bit(int b) {
        if (used == 8) {
            bytes.push_back(0);
            used = 0;
        }
        if (b) bytes.back() |= static_cast<uint8_t>(0x80 >> used);
        ++used;
    }
    void u(int n, uint32_t v) {
        for (int i = n - 1; i >= 0; --i) bit((v >> i) & 1);
    }
    void ue(uint32_t v) {
        const uint32_t x = v + 1;
        int len = 0;
        while ((x >> len) > 1) ++len;
        u(len, 0);
        u(len + 1, x);
    }
    void se(int32_t v) { ue(v <= 0 ? uint32_t(-2 * v) : uint32_t(2 * v - 1)); }
    // rbsp_trailing_bits, emulation prevention, start code and NAL header.
    std::vector<uint8_t> nal(uint8_t header) {
        bit(1);
        while (used != 8) bit(0);
        std::vector<uint8_t> out = {0, 0, 0, 1, header};
        int zeros = 0;
        for (uint8_t b : bytes) {
            if (zeros >= 2 && b <= 3) {
                out.push_back(3);
                zeros = 0;
            }
            out.push_back(b);
            zeros = b == 0 ? zeros + 1 : 0;
        }
        return out;
    }
};

// An access unit claiming a `mbs`×`mbs`-macroblock picture: AUD, SPS 0, PPS 0 (both replace
// the real ones), an IDR slice header and some bytes of would-be macroblocks.
std::vector<uint8_t> huge_picture(uint32_t mbs) {
    std::vector<uint8_t> au = {0, 0, 0, 1, 0x09, 0xf0};
    Bits sps;
    sps.u(8, 66);  // baseline
    sps.u(8, 0);
    sps.u(8, 51);  // level 5.1
    sps.ue(0);     // seq_parameter_set_id
    sps.ue(0);     // log2_max_frame_num_minus4
    sps.ue(2);     // pic_order_cnt_type
    sps.ue(1);     // max_num_ref_frames
    sps.u(1, 0);
    sps.ue(mbs - 1);  // pic_width_in_mbs_minus1
    sps.ue(mbs - 1);  // pic_height_in_map_units_minus1
    sps.u(1, 1);      // frame_mbs_only_flag
    sps.u(1, 1);      // direct_8x8_inference_flag
    sps.u(1, 0);      // frame_cropping_flag
    sps.u(1, 0);      // vui_parameters_present_flag
    auto n = sps.nal(0x67);
    au.insert(au.end(), n.begin(), n.end());
    Bits pps;
    pps.ue(0);
    pps.ue(0);
    pps.u(1, 0);  // CAVLC
    pps.u(1, 0);
    pps.ue(0);  // one slice group
    pps.ue(0);
    pps.ue(0);
    pps.u(1, 0);
    pps.u(2, 0);
    pps.se(0);
    pps.se(0);
    pps.se(0);
    pps.u(1, 1);  // deblocking_filter_control_present_flag
    pps.u(1, 0);
    pps.u(1, 0);
    n = pps.nal(0x68);
    au.insert(au.end(), n.begin(), n.end());
    Bits slice;
    slice.ue(0);    // first_mb_in_slice
    slice.ue(7);    // I, all slices
    slice.ue(0);    // pic_parameter_set_id
    slice.u(4, 0);  // frame_num
    slice.ue(0);    // idr_pic_id
    slice.u(1, 0);
    slice.u(1, 0);  // dec_ref_pic_marking
    slice.se(0);    // slice_qp_delta
    slice.ue(1);    // disable_deblocking_filter_idc
    for (int i = 0; i < 40; ++i) slice.u(8, 0xa5);
    n = slice.nal(0x65);
    au.insert(au.end(), n.begin(), n.end());
    return au;
}

}  // namespace

TEST_CASE("timestamps that wrap and jump backwards are survived, and the stream plays on") {
    TempDir dir;
    RelayedCall call(dir, true);
    wait_call(call);
    Daemon& bob = call.bob();
    const uint64_t carol_errors = count(bob, "carol", "decode_errors");
    const uint64_t video0 = count(bob, "alice", "video_frames");
    const uint64_t audio0 = count(bob, "alice", "audio_frames");
    const uint64_t jumps0 = count(bob, "alice", "audio_jumps");
    // Relay thread only. The first timestamp is moved 1 s before the 33-bit wrap; every 2 s
    // the timeline then goes back by 5 s more.
    std::optional<int64_t> offset;
    auto start = std::chrono::steady_clock::now(), last_jump = start;
    std::atomic<int> back_jumps{0};
    call.set_transform([&](Datagram d, const auto& send) {
        const auto now = std::chrono::steady_clock::now();
        if (offset && now - last_jump >= 2s) {
            *offset -= 5 * 90000;
            last_jump = now;
            ++back_jumps;
        }
        for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) {
            uint8_t* p = d.data() + off;
            if (!offset)
                if (auto pts = pes_pts(p)) offset = (int64_t{1} << 33) - *pts - 90000;
            if (offset) shift_pes_timestamps(p, *offset);
        }
        send(d);
    });
    CHECK(wait_until([&] { return back_jumps >= 3; }, 10s));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Pictures do not wait on timestamps; sound starts a new timeline at each jump.
    CHECK(count(bob, "alice", "video_frames") - video0 >= uint64_t(0.8 * 30 * seconds));
    // Sound comes in 40 ms packets: 25 a second.
    CHECK(count(bob, "alice", "audio_frames") - audio0 >= uint64_t(0.8 * 25 * seconds));
    CHECK(count(bob, "alice", "audio_jumps") - jumps0 >= 3);
    check_aftermath(call, carol_errors);
}

TEST_CASE("a PMT that changes before every datagram is survived, and the stream plays on") {
    TempDir dir;
    RelayedCall call(dir, true);
    wait_call(call);
    Daemon& bob = call.bob();
    const uint64_t carol_errors = count(bob, "carol", "decode_errors");
    const uint64_t video0 = count(bob, "alice", "video_frames");
    // Relay thread only: the PMT's PID (from the PAT) and its section, once seen.
    int pmt_pid = -1;
    std::vector<uint8_t> pmt;  // without pointer field and CRC
    ContinuityRenumber cc;
    std::atomic<int> injected{0};
    call.set_transform([&](Datagram d, const auto& send) {
        for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) {
            const uint8_t* p = d.data() + off;
            const std::size_t pos = ts_payload_offset(p);
            if (!ts_unit_start(p) || pos + 1 >= kTs) continue;
            const uint8_t* s = p + pos + 1 + p[pos];  // past the pointer field
            if (s + 16 > p + kTs) continue;
            const int len = ((s[1] & 0x0f) << 8) | s[2];
            if (ts_pid(p) == 0 && s[0] == 0 && len >= 13) pmt_pid = ((s[10] & 0x1f) << 8) | s[11];
            if (ts_pid(p) == pmt_pid && s[0] == 2 && pmt.empty() && s + 3 + len <= p + kTs)
                pmt.assign(s, s + 3 + len - 4);
        }
        if (!pmt.empty()) {
            // A new version every time, in turn: as it was; the video turned HEVC (not on the
            // whitelist); an AC-3 stream added on a new PID; the stream list emptied.
            const int k = injected++;
            std::vector<uint8_t> v = pmt;
            v[5] = static_cast<uint8_t>(0xc1 | ((k % 32) << 1));
            const std::size_t first = 12 + (((v[10] & 0x0f) << 8) | v[11]);
            if (k % 4 == 1) {
                for (std::size_t e = first; e + 5 <= v.size();
                     e += 5 + (((v[e + 3] & 0x0f) << 8) | v[e + 4]))
                    if (v[e] == 0x1b) v[e] = 0x24;
            } else if (k % 4 == 2) {
                v.insert(v.end(), {0x81, 0xe0 | 0x1f, 0xf0, 0xf0, 0x00});
            } else if (k % 4 == 3) {
                v.resize(first);
            }
            const int len = static_cast<int>(v.size()) + 4 - 3;
            v[1] = static_cast<uint8_t>((v[1] & 0xf0) | (len >> 8));
            v[2] = static_cast<uint8_t>(len);
            auto packet = ts_packet(pmt_pid, true, psi_payload(v));
            cc.apply(packet.data());
            send(Datagram(packet.begin(), packet.end()));
        }
        for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) cc.apply(d.data() + off);
        send(d);
    });
    CHECK(wait_until([&] { return injected >= 400; }, 10s));
    // The pictures keep coming whatever the PMT says (the stream's own decoder stays), and the
    // daemon neither crashed nor grew a stream per version.
    CHECK(count(bob, "alice", "video_frames") > video0 + 30);
    check_aftermath(call, carol_errors);
}

TEST_CASE(
    "pictures whose SPS claims 16384x16384 (or 4096x4096) are refused and counted, memory stays "
    "put") {
    TempDir dir;
    RelayedCall call(dir, true);
    wait_call(call);
    Daemon& bob = call.bob();
    const uint64_t carol_errors = count(bob, "carol", "decode_errors");
    const uint64_t errors0 = count(bob, "alice", "decode_errors");
    const long rss0 = rss_kib(bob.process().pid());
    ContinuityRenumber cc;
    std::atomic<int> injected{0};
    // Before every picture alice sends, one that claims to be huge, on her video PID.
    call.set_transform([&](Datagram d, const auto& send) {
        if (auto pid = video_pes_pid(d)) {
            const uint32_t mbs = injected % 2 == 0 ? 1024 : 256;  // 16384 or 4096 pixels a side
            std::vector<uint8_t> pes = {0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1};
            auto au = huge_picture(mbs);
            pes.insert(pes.end(), au.begin(), au.end());
            REQUIRE(pes.size() <= kTs - 4);
            auto packet = ts_packet(*pid, true, pes);
            cc.apply(packet.data());
            send(Datagram(packet.begin(), packet.end()));
            ++injected;
        }
        for (std::size_t off = 0; off + kTs <= d.size(); off += kTs) cc.apply(d.data() + off);
        send(d);
    });
    CHECK(wait_until([&] { return injected >= 90; }, 10s));
    std::this_thread::sleep_for(100ms);
    const uint64_t errors = count(bob, "alice", "decode_errors") - errors0;
    const long rss = rss_kib(bob.process().pid());
    MESSAGE("huge pictures sent " << injected.load() << ", decode errors " << errors << ", RSS "
                                  << rss0 / 1024 << " -> " << rss / 1024 << " MiB");
    CHECK(errors >= uint64_t(injected.load() / 2));  // each refused, and counted
    // No picture of the claimed size was allocated (16384x16384 is 384 MiB; what moves here is
    // the decoder's per-SPS tables, and under ASan its quarantine of freed ones).
    CHECK(rss - rss0 < 192 * 1024);
    check_aftermath(call, carol_errors);
}
