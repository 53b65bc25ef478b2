// SendQueueGate on an injected clock and queue; FanoutSender through it on real loopback sockets.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "daemon/send/fanout_sender.hpp"
#include "daemon/send/send_queue_gate.hpp"

using namespace meshcall;

namespace {

// A socket queue drained at `rate` bytes a second, on a clock the test moves.
struct FakeLink {
    int64_t now = 0;
    double queued = 0;
    double rate = 0;
    int64_t last = 0;
    void advance(int64_t us) {
        now += us;
        queued = std::max(0.0, queued - rate * double(now - last) / 1e6);
        last = now;
    }
};

struct Harness {
    FakeLink link;
    std::vector<std::string> lines;
    SendQueueGate gate;
    explicit Harness(SendQueueGate::Settings s)
        : gate(
              s, [this] { return static_cast<int>(link.queued); }, [this] { return link.now; },
              [this](const std::string& l) { lines.push_back(l); }) {}
    // One "datagram" of `bytes` through the gate; returns whether it went.
    bool send(double bytes, bool presence = false) {
        if (!gate.admit_datagram(presence)) return false;
        link.queued += bytes;
        gate.sent();
        return true;
    }
};

SendQueueGate::Settings settings() {
    SendQueueGate::Settings s;
    s.budget_us = 250'000;
    s.hard_limit_us = 750'000;
    s.episode_end_us = 2'000'000;
    s.nominal_bytes_per_s = 200'000;
    return s;
}

// Runs `seconds` of a 30 fps sender of `frame` bytes a frame (in 3 datagrams) and a 50 Hz
// audio datagram of 800 bytes; returns the frames that went.
int run(Harness& h, double seconds, double frame) {
    int frames = 0;
    for (int64_t t = 0; t < int64_t(seconds * 1e6); t += 10'000) {
        h.link.advance(10'000);
        if (t % 20'000 == 0) h.send(800);
        if (t % 30'000 == 0 && h.gate.admit_frame()) {
            ++frames;
            for (int i = 0; i < 3; ++i) h.send(frame / 3);
            h.gate.end_frame();
        }
        h.gate.poll();
    }
    return frames;
}

}  // namespace

TEST_CASE("send queue gate: a link faster than the sender never drops or logs") {
    Harness h(settings());
    h.link.rate = 1e9;
    CHECK(run(h, 5, 6000) == 167);
    CHECK(h.gate.frames_dropped() == 0);
    CHECK(h.gate.datagrams_dropped() == 0);
    CHECK_FALSE(h.gate.saturated());
    CHECK(h.lines.empty());
}

TEST_CASE("send queue gate: a capped link keeps the queue within the budget, in time") {
    Harness h(settings());
    // The sender wants 30 x 6000 + 50 x 800 = 220 kB/s; the link drains 100 kB/s.
    h.link.rate = 100'000;
    const int frames = run(h, 10, 6000);
    // Video gets what the sound leaves: (100 - 40) / 6 = 10 frames a second, about.
    CHECK(frames >= 80);
    CHECK(frames <= 110);
    // The queue holds about the budget's worth at the link's rate, not seconds.
    CHECK(h.link.queued <= 0.35 * h.link.rate);
    CHECK(h.gate.queue_ms() <= 350);
    CHECK(h.gate.saturated());
    CHECK(h.gate.episodes() == 1);
    REQUIRE(h.lines.size() == 1);
    CHECK(h.lines[0].find("upload saturated: dropping media") != std::string::npos);
    // The measured drain rate, not the (higher) nominal one, turns bytes into time.
    CHECK(h.gate.datagrams_dropped() <= 5);

    // The cap goes: one line at the end of the episode, with its length and drops.
    h.link.rate = 1e9;
    run(h, 3, 6000);
    CHECK_FALSE(h.gate.saturated());
    REQUIRE(h.lines.size() == 2);
    CHECK(h.lines[1].find("upload no longer saturated after") != std::string::npos);
    CHECK(h.lines[1].find(std::to_string(h.gate.frames_dropped()) + " video frames") !=
          std::string::npos);
    CHECK(run(h, 1, 6000) == 34);  // every frame again
}

TEST_CASE(
    "send queue gate: over the hard limit sound drops, presence never, an IDR only after EAGAIN") {
    Harness h(settings());
    h.link.rate = 10'000;  // slower than the sound alone
    int presence_sent = 0, media_sent = 0;
    for (int i = 0; i < 500; ++i) {
        h.link.advance(10'000);
        media_sent += h.send(800);
        if (i % 50 == 0) presence_sent += h.send(100, /*presence=*/true);
        h.gate.poll();
    }
    CHECK(presence_sent == 10);
    CHECK(media_sent < 250);
    CHECK(h.gate.datagrams_dropped() == uint64_t(500 - media_sent));
    // The queue stays near the hard limit at the link's rate.
    CHECK(h.link.queued <= 0.85 * h.link.rate + 800);
    CHECK(h.lines.size() == 1);
    // Only sound was dropped: no IDR needed when it ends.
    h.link.rate = 1e9;
    for (int i = 0; i < 300; ++i) {
        h.link.advance(10'000);
        h.gate.poll();
    }
    CHECK(h.lines.size() == 2);
    CHECK_FALSE(h.gate.take_refresh());
    // The kernel refused datagrams (a full socket buffer: pieces of pictures, maybe): an IDR
    // is asked for when that episode ends, once.
    h.gate.refused(3);
    CHECK(h.gate.saturated());
    CHECK(h.gate.datagrams_dropped() == uint64_t(500 - media_sent) + 3);
    for (int i = 0; i < 300; ++i) {
        h.link.advance(10'000);
        h.gate.poll();
    }
    CHECK(h.lines.size() == 4);
    CHECK(h.gate.take_refresh());
    CHECK_FALSE(h.gate.take_refresh());
}

TEST_CASE("send queue gate: an admitted frame goes whole, even past the hard limit") {
    Harness h(settings());
    h.link.rate = 100'000;
    run(h, 2, 6000);  // saturated: the drain rate is measured
    // As the queue drains, a frame is admitted once it and the queue fit in the budget; all
    // of its (big) datagrams go, though the queue passes the hard limit on the way.
    bool admitted = false;
    for (int i = 0; i < 1000 && !admitted; ++i) {
        h.link.advance(1000);
        admitted = h.gate.admit_frame();
    }
    REQUIRE(admitted);
    CHECK(h.gate.queue_ms() >= 150);  // the typical frame's ~60 ms counted, not more
    CHECK(h.gate.queue_ms() <= 195);
    const uint64_t dropped = h.gate.datagrams_dropped();
    for (int i = 0; i < 14; ++i) CHECK(h.send(6000));
    h.gate.end_frame();
    CHECK(h.gate.datagrams_dropped() == dropped);
    CHECK(h.gate.queue_ms() > 750);
    // The frame done, sound over the hard limit is dropped again.
    CHECK_FALSE(h.send(800));
    CHECK_FALSE(h.gate.admit_frame());
}

TEST_CASE("fan-out: over the hard limit media is dropped, presence still reaches every peer") {
    // Two real receivers on loopback; the queue reading says the upload is far behind.
    auto udp = [] {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        return fd;
    };
    auto address_of = [](int fd) {
        sockaddr_storage s{};
        socklen_t len = sizeof s;
        getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
        return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&s));
    };
    const int tx = udp(), rx1 = udp(), rx2 = udp();
    int queued = 0;
    FanoutSender fanout(tx, {{"bob", address_of(rx1)}, {"carol", address_of(rx2)}}, settings(),
                        [&] { return queued; });
    const std::vector<uint8_t> media(1316, 0x47), presence(188, 0x47);
    fanout.send(media);   // an empty queue: it goes
    queued = 10'000'000;  // 50 s at the nominal rate
    for (int i = 0; i < 10; ++i) fanout.send(media);
    fanout.send(presence, /*presence=*/true);
    CHECK(fanout.gate().datagrams_dropped() == 10);
    CHECK(fanout.counters().datagrams == 4);  // 1 media + 1 presence, to each of 2 peers
    for (int rx : {rx1, rx2}) {
        std::vector<std::size_t> sizes;
        uint8_t buf[2048];
        pollfd p{rx, POLLIN, 0};
        while (poll(&p, 1, 200) > 0) {
            const ssize_t n = recv(rx, buf, sizeof buf, 0);
            if (n < 0) break;
            sizes.push_back(static_cast<std::size_t>(n));
        }
        CHECK(sizes == std::vector<std::size_t>{1316, 188});
    }
    CHECK(fanout.counters().errors == 0);
    for (int fd : {tx, rx1, rx2}) close(fd);
}
