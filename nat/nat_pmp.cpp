// NAT-PMP through libnatpmp, with our own deadline instead of its 9 retries (about 2 minutes).
#include "nat/nat_pmp.hpp"

#include <arpa/inet.h>
#include <natpmp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nat/duration_text.hpp"

namespace meshcall::nat_pmp {

namespace {

using std::chrono::milliseconds;

constexpr int kTimedOut = 1;  // our codes beside libnatpmp's (all negative)
constexpr int kCancelled = 2;
constexpr milliseconds kStopCheck{50};

std::string ip_text(in_addr_t a) {
    char buf[INET_ADDRSTRLEN] = "";
    in_addr addr{};
    addr.s_addr = a;
    inet_ntop(AF_INET, &addr, buf, sizeof buf);
    return buf;
}

// Owns one natpmp_t (its socket, connected to the router).
class Session {
  public:
    Session() = default;
    ~Session() {
        if (open_) closenatpmp(&handle_);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Opens toward `gateway` ("" = the default route's). Returns "" or why not.
    std::string open(const std::string& gateway) {
        in_addr forced{};
        if (!gateway.empty() && inet_pton(AF_INET, gateway.c_str(), &forced) != 1)
            return "the router's address " + gateway + " is not IPv4";
        const int r = initnatpmp(&handle_, gateway.empty() ? 0 : 1, forced.s_addr);
        if (r < 0) {
            const int os_error = errno;
            // libnatpmp returns without closing the socket it had opened (no gateway, connect).
            if (r != NATPMP_ERR_SOCKETERROR && handle_.s >= 0) close(handle_.s);
            if (r == NATPMP_ERR_CANNOTGETGATEWAY) return "no default gateway (no router to ask)";
            return "cannot open a socket toward the router: " + std::string(strerror(os_error));
        }
        open_ = true;
        return {};
    }

    natpmp_t& handle() { return handle_; }
    std::string gateway() const { return ip_text(handle_.gateway); }

  private:
    natpmp_t handle_{};
    bool open_ = false;
};

// What an exchange came to: 0, a NATPMP_ERR_* code, kTimedOut or kCancelled, and errno as it
// was when a system call failed.
struct Outcome {
    int code = 0;
    int os_error = 0;
};

Outcome failed(int code) {
    return {code, errno};
}

// Waits for the answer to the pending request, letting libnatpmp resend on its schedule but
// never past the deadline.
Outcome wait_answer(Session& s, natpmpresp_t& answer, const Deadline& deadline,
                    const std::stop_token& stop) {
    natpmp_t& h = s.handle();
    for (;;) {
        const int r = readnatpmpresponseorretry(&h, &answer);
        if (r != NATPMP_TRYAGAIN) return r == 0 ? Outcome{} : failed(r);
        if (stop.stop_requested()) return {kCancelled};
        if (deadline.expired()) return {kTimedOut};
        milliseconds wait = std::min(deadline.remaining(), kStopCheck);
        timeval tv{};
        if (getnatpmprequesttimeout(&h, &tv) == 0) {
            const milliseconds retry{static_cast<long long>(tv.tv_sec) * 1000 + tv.tv_usec / 1000};
            wait = std::clamp(retry, milliseconds(0), wait);
        }
        pollfd p{h.s, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(wait.count()) + 1) < 0 && errno != EINTR)
            return failed(NATPMP_ERR_RECVFROM);
    }
}

// Sends with `send` (a libnatpmp request) and waits for its answer of type `type`; an answer of
// another type (a late duplicate of an earlier request) is skipped and the request sent again.
template <class Send>
Outcome exchange(Session& s, uint16_t type, natpmpresp_t& answer, const Deadline& deadline,
                 const std::stop_token& stop, const Send& send) {
    for (;;) {
        if (send(&s.handle()) < 0) return failed(NATPMP_ERR_SENDERR);
        const Outcome o = wait_answer(s, answer, deadline, stop);
        if (o.code != 0 || answer.type == type) return o;
    }
}

Outcome ask_public_address(Session& s, natpmpresp_t& answer, const Deadline& deadline,
                           const std::stop_token& stop) {
    return exchange(s, NATPMP_RESPTYPE_PUBLICADDRESS, answer, deadline, stop,
                    [](natpmp_t* h) { return sendpublicaddressrequest(h); });
}

Outcome ask_mapping(Session& s, uint16_t internal_port, uint16_t external_port, uint32_t lifetime_s,
                    natpmpresp_t& answer, const Deadline& deadline, const std::stop_token& stop) {
    return exchange(s, NATPMP_RESPTYPE_UDPPORTMAPPING, answer, deadline, stop, [&](natpmp_t* h) {
        return sendnewportmappingrequest(h, NATPMP_PROTOCOL_UDP, internal_port, external_port,
                                         lifetime_s);
    });
}

// libnatpmp's codes in words, naming the router.
std::string explain(const Outcome& o, const std::string& gw, milliseconds given) {
    // A refused datagram (ICMP port unreachable) may surface on the next send as well.
    const bool refused = o.code == NATPMP_ERR_NOGATEWAYSUPPORT ||
                         ((o.code == NATPMP_ERR_SENDERR || o.code == NATPMP_ERR_RECVFROM) &&
                          o.os_error == ECONNREFUSED);
    if (refused) return gw + " does not speak NAT-PMP (port 5351 refused)";
    switch (o.code) {
        case kTimedOut:
            return "no answer from " + gw + " in " + duration_text(given);
        case kCancelled:
            return "stopped before " + gw + " answered";
        case NATPMP_ERR_NOTAUTHORIZED:
            return gw + " refused: not authorized (NAT-PMP disabled for this host?)";
        case NATPMP_ERR_NETWORKFAILURE:
            return gw + " refused: its internet connection is down";
        case NATPMP_ERR_OUTOFRESOURCES:
            return gw + " refused: no free mappings left";
        case NATPMP_ERR_UNSUPPORTEDVERSION:
            return gw + " does not support NAT-PMP version 0";
        case NATPMP_ERR_UNSUPPORTEDOPCODE:
            return gw + " does not support this NAT-PMP request";
        case NATPMP_ERR_UNDEFINEDERROR:
            return gw + " refused with an unknown NAT-PMP error";
        case NATPMP_ERR_SENDERR:
            return "cannot send to " + gw + ": " + strerror(o.os_error);
        case NATPMP_ERR_RECVFROM:
            return "cannot receive from " + gw + ": " + strerror(o.os_error);
        case NATPMP_ERR_WRONGPACKETSOURCE:
            return "an answer came from another host than " + gw;
        default:
            return "NAT-PMP error " + std::to_string(o.code) + " with " + gw;
    }
}

}  // namespace

PortMappingAttempt map(uint16_t internal_port, uint16_t wanted_external, uint32_t lifetime_s,
                       const std::string& gateway, const Deadline& deadline, std::stop_token stop) {
    Session s;
    if (std::string e = s.open(gateway); !e.empty()) return {std::nullopt, e};
    const std::string gw = s.gateway();

    natpmpresp_t address{};
    Outcome o = ask_public_address(s, address, deadline, stop);
    if (o.code != 0) return {std::nullopt, explain(o, gw, deadline.given())};
    natpmpresp_t mapped{};
    o = ask_mapping(s, internal_port, wanted_external, lifetime_s, mapped, deadline, stop);
    if (o.code != 0) return {std::nullopt, explain(o, gw, deadline.given())};
    if (mapped.pnu.newportmapping.privateport != internal_port)
        return {std::nullopt, gw + " answered for another port (" +
                                  std::to_string(mapped.pnu.newportmapping.privateport) + ")"};

    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = address.pnu.publicaddress.addr;
    sa.sin_port = htons(mapped.pnu.newportmapping.mappedpublicport);
    PortMapping m;
    m.external = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa));
    m.via = "nat-pmp";
    m.gateway = gw;
    m.lifetime_s = mapped.pnu.newportmapping.lifetime;
    return {std::move(m), {}};
}

bool unmap(const PortMapping& m, uint16_t internal_port, const Deadline& deadline,
           std::string& why) {
    Session s;
    if (std::string e = s.open(m.gateway); !e.empty()) {
        why = e;
        return false;
    }
    // RFC 6886 3.4: lifetime 0 and external port 0 remove the mapping of internal_port.
    natpmpresp_t answer{};
    const Outcome o = ask_mapping(s, internal_port, 0, 0, answer, deadline, {});
    if (o.code == 0) return true;
    why = explain(o, m.gateway, deadline.given());
    return false;
}

}  // namespace meshcall::nat_pmp
