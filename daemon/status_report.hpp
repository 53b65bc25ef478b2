// StatusReport: the control socket's status reply (README, "The control socket and the CLI"; every
// field is listed in the README): this participant, then one object per peer. Event-loop thread
// only: it reads the loop's counters directly and the other threads' through their atomics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/call_config.hpp"
#include "daemon/loop/peer_link.hpp"
#include "daemon/record/record_status.hpp"
#include "daemon/send/media_sender.hpp"

namespace meshcall {

// What only the session knows.
struct SessionCounters {
    Address bound;                  // the UDP socket's address
    uint64_t dropped_unlisted = 0;  // datagrams from addresses not in the room
    uint64_t bad_requests = 0;      // malformed control requests
    double tx_kbps = 0;             // over the last second
    int64_t started_us = 0;
    // Where this participant is seen from outside: what members report (and later a port
    // mapping or STUN), each with how it was found ("peer:NAME", ...).
    struct SeenAs {
        Address endpoint;
        std::string via;
        int64_t at_us = 0;
    };
    std::vector<SeenAs> seen_as;
    // The router's port mapping: "off (...)", "trying", the mapping, or why it failed.
    std::string port_mapping = "off";
    std::optional<RecordStatus> recording;  // the recording in progress
};

// {"dir","files","bytes","dropped","error"} of a recording.
nlohmann::json record_status_json(const RecordStatus& r);

nlohmann::json status_report(const CallConfig& config,
                             const std::vector<std::unique_ptr<PeerLink>>& peers,
                             const MediaSender& sender, const SessionCounters& session,
                             bool histogram, int64_t now_us);

}  // namespace meshcall
