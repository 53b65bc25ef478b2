// PeerEndpoint: learned endpoints, reports and probes of one participant.
#include "daemon/loop/peer_endpoint.hpp"

#include <algorithm>

namespace meshcall {

const char* PeerEndpoint::via_name(Via via) {
    switch (via) {
        case Via::room:
            return "room";
        case Via::learned:
            return "learned";
        case Via::introduced:
            return "introduced";
        case Via::none:
            break;
    }
    return nullptr;
}

PeerEndpoint::PeerEndpoint(const Address& listed, bool roams)
    : listed_(listed), current_(listed), roams_(roams) {
    if (listed.known()) via_ = Via::room;
}

bool PeerEndpoint::heard_from(const Address& from) {
    if (!roams_ || from == current_) {
        if (roams_ && via_ == Via::introduced) via_ = Via::learned;  // confirmed
        return false;
    }
    if (current_.known()) ++moves_;  // learning the first one is not a move
    current_ = from;
    via_ = Via::learned;
    return true;
}

void PeerEndpoint::reported(const std::string& reporter, const Address& where, int64_t now_us) {
    if (!roams_ || !where.known()) return;
    for (auto& r : reports_)
        if (r.reporter == reporter) {
            r.where = where;
            r.at_us = now_us;
            return;
        }
    reports_.push_back({reporter, where, now_us});
}

const PeerEndpoint::Report* PeerEndpoint::freshest(int64_t now_us) const {
    const Report* best = nullptr;
    for (const auto& r : reports_)
        if (now_us - r.at_us < kReportFreshUs && (!best || r.at_us > best->at_us)) best = &r;
    return best;
}

bool PeerEndpoint::update(bool connected, int64_t now_us) {
    if (!roams_) return false;
    const Address before = current_;
    std::vector<Address> probes;
    const Report* fresh = freshest(now_us);
    if (connected) {
        probing_since_us_ = -1;
    } else {
        if (!current_.known() && fresh) {
            current_ = fresh->where;
            via_ = Via::introduced;
        }
        if (fresh && probing_since_us_ < 0) probing_since_us_ = now_us;
        if (!fresh) probing_since_us_ = -1;
        // Every fresh report and the room file's address, but where everything goes already.
        auto add = [&](const Address& a) {
            if (a.known() && !(a == current_) && probes.size() < kMaxProbes &&
                std::find(probes.begin(), probes.end(), a) == probes.end())
                probes.push_back(a);
        };
        for (const auto& r : reports_)
            if (now_us - r.at_us < kReportFreshUs) add(r.where);
        add(listed_);
    }
    const bool changed = !(before == current_) || probes != probes_;
    probes_ = std::move(probes);
    return changed;
}

std::optional<std::string> PeerEndpoint::unreachable_reason(bool connected, int64_t now_us) const {
    if (!roams_ || connected || probing_since_us_ < 0 ||
        now_us - probing_since_us_ < kUnreachableAfterUs)
        return std::nullopt;
    const Report* fresh = freshest(now_us);
    if (!fresh) return std::nullopt;
    const std::size_t tried = probes_.size() + (current_.known() ? 1 : 0);
    return fresh->reporter + " reports it at " + fresh->where.to_string() +
           ", but nothing from it has reached us in " +
           std::to_string((now_us - probing_since_us_) / 1'000'000) + " s of probing " +
           std::to_string(tried) +
           " endpoint(s): both sides may be behind NATs that give each destination its own "
           "port, or UDP is blocked between us (README, \"Calling over the internet\")";
}

}  // namespace meshcall
