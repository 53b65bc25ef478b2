// Encrypted rooms end to end: real meshcalld processes on loopback, a relay in the test for what
// an attacker on the path does (inject, replay, tamper), the wire read by a socket of the test.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <deque>
#include <optional>
#include <thread>

#include "protocol/call_keys.hpp"
#include "protocol/sealed_datagram.hpp"
#include "tests/support/relayed_call.hpp"
#include "tests/support/test_room.hpp"

using namespace meshcall;
using namespace meshcall::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string base64(const uint8_t* bytes, std::size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes, n, sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

uint64_t counter(Daemon& d, const std::string& peer, const char* field) {
    return d.peer(peer).value(field, uint64_t{0});
}

uint64_t frames(Daemon& d, const std::string& peer) {
    return counter(d, peer, "video_frames");
}

// A private key file (0600) for `sk`, and its public key in base64.
std::string write_key(const TempDir& dir, const std::string& name, const Key32& sk) {
    dir.write(name, base64(sk.data(), sk.size()) + "\n");
    chmod(dir.file(name).c_str(), 0600);
    return dir.file(name);
}

}  // namespace

TEST_CASE("encrypted room: three peers see and hear each other, mute and leave as before") {
    TempDir dir;
    const std::vector<TestPeer> peers = {
        {"alice", free_udp_port()}, {"bob", free_udp_port()}, {"carol", free_udp_port()}};
    const std::string secret = random_secret();
    const TestRoom sealed =
        write_room(dir, "sealed3.json", "sealed3", peers, 320, 240, 400, sealed_room(secret));
    Daemon alice(dir, sealed, "alice"), bob(dir, sealed, "bob"), carol(dir, sealed, "carol");
    REQUIRE(alice.wait_ready());
    REQUIRE(bob.wait_ready());
    REQUIRE(carol.wait_ready());
    CHECK(wait_until(
        [&] {
            for (Daemon* d : {&alice, &bob, &carol}) {
                const auto status = d->status();  // (a range-for over a temporary's member dangles)
                if (!status) return false;
                for (const auto& p : (*status)["peers"])
                    if (p.value("video_frames", 0) < 30 || p.value("audio_frames", 0) < 25)
                        return false;
            }
            return true;
        },
        15s));
    CHECK((*alice.status())["security"] == "room");
    const json p = alice.peer("bob");
    INFO(p.dump());
    CHECK(p["state"] == "connected");
    CHECK(p["encrypted"] == true);
    CHECK(p["auth_failed"] == 0);
    CHECK(p["replayed"] == 0);
    CHECK(p["decode_errors"] == 0);
    // Presence is inside the ciphertext too: a mute and a leave still reach everyone.
    REQUIRE(alice.request(R"({"cmd":"mute","what":"audio"})"));
    CHECK(wait_until([&] { return bob.peer("alice")["audio_muted"] == true; }, 2s));
    REQUIRE(carol.request(R"({"cmd":"leave"})"));
    CHECK(wait_until([&] { return alice.peer("carol")["state"] == "left"; }, 3s));
    // The control socket never shows the secret.
    CHECK(alice.status()->dump().find(secret) == std::string::npos);
}

TEST_CASE("encrypted room: the wire carries no TS sync pattern and no participant name") {
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}, {"bob", free_udp_port()}};
    const TestRoom room =
        write_room(dir, "wire.json", "wire", peers, 320, 240, 400, sealed_room(random_secret()));
    // bob's address is a socket of the test: it records what alice sends him.
    const int wire = bound_udp(room.port_of("bob"));
    REQUIRE(wire >= 0);
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    std::vector<std::vector<uint8_t>> got;
    std::vector<uint8_t> buf(2048);
    CHECK(wait_until(
        [&] {
            ssize_t n;
            while ((n = recv(wire, buf.data(), buf.size(), MSG_DONTWAIT)) > 0)
                got.emplace_back(buf.begin(), buf.begin() + n);
            return got.size() >= 300;
        },
        10s));
    close(wire);
    int syncs = 0, names = 0, too_big = 0, not_sealed = 0;
    for (const auto& d : got) {
        for (std::size_t i = 0; i < d.size(); i += 188) syncs += d[i] == 0x47;
        const std::string text(d.begin(), d.end());
        names += text.find("alice") != std::string::npos;
        too_big += d.size() > 1472;
        not_sealed += !peek_seal_header(d).has_value();
    }
    MESSAGE(got.size() << " datagrams; TS sync bytes at packet boundaries: " << syncs);
    // Random bytes hit 0x47 at a boundary now and then (1 in 256): nowhere near TS's every one.
    CHECK(syncs < static_cast<int>(got.size()) / 10);
    CHECK(names == 0);
    CHECK(too_big == 0);
    CHECK(not_sealed == 0);
}

TEST_CASE(
    "encrypted room: garbage, a plaintext stream and a wrong secret from alice's address are "
    "counted as auth_failed, her picture and carol's go on") {
    // What the relay's transforms use outlives the relay (declared first, destroyed last).
    init_crypto();
    Key32 wrong;
    randombytes_buf(wrong.data(), wrong.size());
    std::atomic<uint64_t> injected{0};
    TempDir dir;
    RelayedCall call(dir, true, sealed_room(random_secret()));
    REQUIRE(call.ready());
    REQUIRE(wait_until([&] { return frames(call.bob(), "alice") > 30; }, 15s));
    // What an outsider on the path adds, from alice's address (the relay's): one of each kind
    // after every tenth real datagram.
    call.set_transform([&, n = uint64_t{0}](Datagram d, const auto& send) mutable {
        send(d);
        if (++n % 10) return;
        std::vector<uint8_t> plain(188 * 7, 0xFF);
        for (std::size_t i = 0; i < plain.size(); i += 188) plain[i] = 0x47;
        std::vector<uint8_t> forged(plain.size() + kSealOverhead);
        seal_datagram(wrong, {0, new_epoch(), n}, plain, forged);
        send(std::vector<uint8_t>(300, uint8_t(n)));  // garbage
        send(plain);                                  // plaintext TS
        send(forged);                                 // sealed under another secret
        injected += 3;
    });
    const uint64_t f0 = frames(call.bob(), "alice"), c0 = frames(call.bob(), "carol");
    const uint64_t a0 = counter(call.bob(), "alice", "auth_failed");
    const uint64_t e0 = counter(call.bob(), "alice", "decode_errors");
    std::this_thread::sleep_for(3s);  // the window measured
    const json p = call.bob().peer("alice");
    INFO(p.dump());
    CHECK(injected >= 30);
    CHECK(p["auth_failed"].get<uint64_t>() - a0 >= injected - 3);
    CHECK(p["decode_errors"].get<uint64_t>() == e0);
    CHECK(p["state"] == "connected");
    CHECK(frames(call.bob(), "alice") - f0 >= 60);  // 30 fps: still at least 20 a second
    CHECK(frames(call.bob(), "carol") - c0 >= 60);
    CHECK(call.bob().peer("carol")["auth_failed"] == 0);
}

TEST_CASE("encrypted room: datagrams replayed 3 s later are counted as replayed, shown once") {
    std::mutex m;  // what the relay's transform uses outlives the relay
    std::deque<std::pair<std::chrono::steady_clock::time_point, Datagram>> held;
    std::atomic<uint64_t> replayed{0};
    TempDir dir;
    RelayedCall call(dir, false, sealed_room(random_secret()));
    REQUIRE(call.ready());
    REQUIRE(wait_until([&] { return frames(call.bob(), "alice") > 30; }, 15s));
    call.set_transform([&](Datagram d, const auto& send) {
        send(d);
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(m);
        held.emplace_back(now, d);
        while (!held.empty() && now - held.front().first >= 3s) {
            send(held.front().second);
            held.pop_front();
            ++replayed;
        }
    });
    REQUIRE(wait_until([&] { return replayed >= 100; }, 10s));
    const uint64_t r0 = counter(call.bob(), "alice", "replayed");
    const uint64_t e0 = counter(call.bob(), "alice", "decode_errors");
    const uint64_t f0 = frames(call.bob(), "alice");
    const uint64_t sent0 = replayed;
    std::this_thread::sleep_for(2s);  // the window measured
    const json p = call.bob().peer("alice");
    INFO(p.dump());
    const uint64_t sent = replayed - sent0;
    CHECK(sent >= 100);
    // Every replay in the window is refused (a few sent at its edges may fall either side).
    CHECK(p["replayed"].get<uint64_t>() - r0 + 20 >= sent);
    CHECK(p["auth_failed"] == 0);
    // No replay reaches the decoder (a start under a slow sanitizer may have had its own).
    CHECK(p["decode_errors"].get<uint64_t>() == e0);
    // Nothing shown twice: alice's 30 fps, not 60.
    const double fps = double(frames(call.bob(), "alice") - f0) / 2.0;
    CHECK(fps <= 33.0);
    CHECK(fps >= 20.0);
}

TEST_CASE(
    "encrypted room: a restarted peer is decoded again within 2 s, its old epoch is refused") {
    std::mutex m;  // what the relay's transform uses outlives the relay
    std::vector<Datagram> old;
    bool recording = true;
    TempDir dir;
    RelayedCall call(dir, false, sealed_room(random_secret()));
    REQUIRE(call.ready());
    REQUIRE(wait_until([&] { return frames(call.bob(), "alice") > 30; }, 15s));
    call.set_transform([&](Datagram d, const auto& send) {
        send(d);
        std::lock_guard lock(m);
        if (recording && old.size() < 300) old.push_back(d);
    });
    REQUIRE(wait_until(
        [&] {
            std::lock_guard lock(m);
            return old.size() >= 300;
        },
        10s));
    {
        std::lock_guard lock(m);
        recording = false;
    }
    call.restart_alice();
    REQUIRE(call.alice().wait_ready());
    const auto started = std::chrono::steady_clock::now();
    const uint64_t f0 = frames(call.bob(), "alice");
    CHECK(wait_until([&] { return frames(call.bob(), "alice") > f0 + 5; }, 2s));
    MESSAGE("decoded again " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()
                             << " ms after the restarted alice answered");
    // The old start's datagrams, replayed now: refused, not shown.
    const uint64_t r0 = counter(call.bob(), "alice", "replayed");
    call.set_transform([&](Datagram d, const auto& send) {
        send(d);
        std::lock_guard lock(m);
        if (!old.empty()) {
            send(old.back());
            old.pop_back();
        }
    });
    CHECK(wait_until([&] { return counter(call.bob(), "alice", "replayed") >= r0 + 250; }, 10s));
    const json p = call.bob().peer("alice");
    INFO(p.dump());
    CHECK(p["state"] == "connected");
    CHECK(p["auth_failed"] == 0);
}

TEST_CASE("encrypted room: one flipped bit anywhere is auth_failed") {
    std::atomic<uint64_t> flipped{0};  // outlives the relay
    TempDir dir;
    RelayedCall call(dir, false, sealed_room(random_secret()));
    REQUIRE(call.ready());
    REQUIRE(wait_until([&] { return frames(call.bob(), "alice") > 30; }, 15s));
    // Every 4th datagram: at least 20 in the 2 s window even for a low-rate stream (its sound
    // is 25 datagrams a second).
    call.set_transform([&, n = uint64_t{0}](Datagram d, const auto& send) mutable {
        if (++n % 4 == 0) {
            const std::size_t bit = (n * 131) % (d.size() * 8);
            d[bit / 8] ^= uint8_t(1 << (bit % 8));
            ++flipped;
        }
        send(d);
    });
    const uint64_t a0 = counter(call.bob(), "alice", "auth_failed");
    const uint64_t flipped0 = flipped;
    std::this_thread::sleep_for(2s);  // the window measured
    call.set_transform(nullptr);
    std::this_thread::sleep_for(200ms);  // what the relay sent has arrived
    const json p = call.bob().peer("alice");
    INFO(p.dump());
    CHECK(flipped - flipped0 >= 20);
    CHECK(p["auth_failed"].get<uint64_t>() - a0 >= flipped - flipped0);
    CHECK(p["auth_failed"].get<uint64_t>() - a0 <= flipped);
    CHECK(p["state"] == "connected");
}

TEST_CASE("encrypted room: a peer with the wrong secret is cannot-authenticate within 2 s") {
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}, {"bob", free_udp_port()}};
    const TestRoom room = write_room(dir, "right.json", "secrets", peers, 320, 240, 400,
                                     sealed_room(random_secret()));
    const TestRoom wrong = write_room(dir, "wrong.json", "secrets", peers, 320, 240, 400,
                                      sealed_room(random_secret()));
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    Daemon bob(dir, wrong, "bob");
    REQUIRE(bob.wait_ready());
    const auto started = std::chrono::steady_clock::now();
    CHECK(wait_until([&] { return alice.peer("bob")["state"] == "cannot-authenticate"; }, 2s));
    MESSAGE("cannot-authenticate after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()
                                         << " ms");
    CHECK(alice.peer("bob")["auth_failed"].get<uint64_t>() > 0);
    CHECK(frames(alice, "bob") == 0);
    CHECK(wait_until(
        [&] { return alice.log_text().find("do not authenticate") != std::string::npos; }, 2s));
    const std::string log = alice.log_text();
    CHECK(log.find("same room file") != std::string::npos);
}

TEST_CASE(
    "keys room: each pair has its own key: a member without alice's private key cannot "
    "pass for her") {
    init_crypto();
    TempDir dir;
    Key32 pk[3], sk[3];
    for (int i = 0; i < 3; ++i) crypto_kx_keypair(pk[i].data(), sk[i].data());
    std::vector<TestPeer> peers = {
        {"alice", free_udp_port()}, {"bob", free_udp_port()}, {"carol", free_udp_port()}};
    for (int i = 0; i < 3; ++i) peers[i].fields["public_key"] = base64(pk[i].data(), 32);
    const json keys_room = {{"security", "keys"}, {"secret", random_secret()}};
    const TestRoom room = write_room(dir, "keys.json", "keys", peers, 320, 240, 400, keys_room);
    const std::string key_b = write_key(dir, "bob.key", sk[1]);
    const std::string key_c = write_key(dir, "carol.key", sk[2]);
    Daemon bob(dir, room, "bob", {"--key", key_b});
    REQUIRE(bob.wait_ready());
    // carol has the room file (and the secret) and her own key. She runs as alice from alice's
    // address with a copy of the room that lists her public key for alice.
    std::vector<TestPeer> forged_peers = peers;
    forged_peers[0].fields["public_key"] = base64(pk[2].data(), 32);
    forged_peers[2].fields["public_key"] = base64(pk[0].data(), 32);
    const TestRoom forged =
        write_room(dir, "forged.json", "keys", forged_peers, 320, 240, 400, keys_room);
    Daemon impostor(dir, forged, "alice", {"--key", key_c});
    REQUIRE(impostor.wait_ready());
    CHECK(wait_until([&] { return counter(bob, "alice", "auth_failed") > 50; }, 5s));
    CHECK(wait_until([&] { return bob.peer("alice")["state"] == "cannot-authenticate"; }, 2s));
    CHECK(frames(bob, "alice") == 0);
    // The real carol, meanwhile, is heard by bob as herself.
    Daemon carol(dir, room, "carol", {"--key", key_c});
    REQUIRE(carol.wait_ready());
    CHECK(wait_until([&] { return frames(bob, "carol") > 30; }, 10s));
    CHECK(bob.peer("carol")["auth_failed"] == 0);
}

TEST_CASE("encrypted room: plain stock guests still work, and are named as unencrypted") {
    REQUIRE(have_program("ffmpeg"));
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}, {"cam", free_udp_port(), "sender"}};
    peers[1].fields["plain"] = true;
    peers.push_back(free_viewer("tv", 2, peers));
    peers[2].fields["plain"] = true;
    const TestRoom room = write_room(dir, "guests.json", "guests", peers, 320, 240, 400,
                                     sealed_room(random_secret()));
    // The plain viewer gets alice (peers[0]) as TS at its port + 0.
    const int tv = bound_udp(room.port_of("tv"));
    REQUIRE(tv >= 0);
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    Process cam({"ffmpeg",
                 "-hide_banner",
                 "-nostdin",
                 "-loglevel",
                 "error",
                 "-re",
                 "-f",
                 "lavfi",
                 "-i",
                 "testsrc2=size=320x240:rate=30",
                 "-t",
                 "20",
                 "-c:v",
                 "libx264",
                 "-preset",
                 "ultrafast",
                 "-tune",
                 "zerolatency",
                 "-intra-refresh",
                 "1",
                 "-f",
                 "mpegts",
                 stock_sender_url(room, "alice", "cam")},
                dir.file("cam.log"));
    CHECK(wait_until([&] { return frames(alice, "cam") >= 30; }, 15s));
    const json p = alice.peer("cam");
    INFO(p.dump());
    CHECK(p["encrypted"] == false);
    CHECK(p["auth_failed"] == 0);
    std::vector<uint8_t> buf(2048);
    int ts = 0, other = 0;
    CHECK(wait_until(
        [&] {
            ssize_t n;
            while ((n = recv(tv, buf.data(), buf.size(), MSG_DONTWAIT)) > 0)
                (buf[0] == 0x47 && n % 188 == 0 ? ts : other)++;
            return ts >= 50;
        },
        5s));
    close(tv);
    CHECK(other == 0);
    const std::string log = alice.log_text();
    CHECK(log.find("tv is a plain viewer") != std::string::npos);
    CHECK(log.find("cam is a plain sender") != std::string::npos);
}

TEST_CASE(
    "encrypted room: a peer that restarts when the others send short headers sees them again "
    "within 2 s, none counted as auth_failed") {
    TempDir dir;
    std::vector<TestPeer> peers = {{"alice", free_udp_port()}, {"bob", free_udp_port()}};
    const TestRoom room = write_room(dir, "late.json", "late", peers, 320, 240, 400,
                                     sealed_room(random_secret()));
    Daemon alice(dir, room, "alice");
    REQUIRE(alice.wait_ready());
    const auto alice_started = std::chrono::steady_clock::now();
    std::optional<Daemon> bob;
    bob.emplace(dir, room, "bob");
    REQUIRE(bob->wait_ready());
    REQUIRE(wait_until([&] { return frames(*bob, "alice") > 10; }, 10s));
    // Past alice's first 3 s (Sealer::kNameEpochForUs), most of what she seals has a short header.
    std::this_thread::sleep_until(alice_started + 4s);
    bob.reset();
    bob.emplace(dir, room, "bob");
    REQUIRE(bob->wait_ready());
    const auto restarted = std::chrono::steady_clock::now();
    CHECK(wait_until([&] { return frames(*bob, "alice") > 5; }, 2s));
    MESSAGE("decoded alice " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - restarted)
                                    .count()
                             << " ms after bob restarted");
    const json p = bob->peer("alice");
    INFO(p.dump());
    CHECK(p["auth_failed"] == 0);
    CHECK(p["state"] == "connected");
    // Short headers before the first long one are dropped as epoch_unknown: at most what
    // alice sends between two long ones (250 ms; some 40 datagrams at 400 kbit/s and 50 Opus).
    CHECK(p["epoch_unknown"].get<uint64_t>() < 80);
}
