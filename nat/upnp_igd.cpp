// UPnP-IGD through miniupnpc: SSDP, the gateway's description, AddPortMapping and friends.
#include "nat/upnp_igd.hpp"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

#include "nat/duration_text.hpp"

namespace meshcall::upnp_igd {

namespace {

// UPnP error codes we act on. 718: another host has the port; 729: the router itself does (a
// socket of its own, another mechanism): both mean "try another port".
constexpr int kConflictInMappingEntry = 718;
constexpr int kOnlyPermanentLeasesSupported = 725;
constexpr int kConflictWithOtherMechanisms = 729;
constexpr int kRandomPortTries = 4;
constexpr const char* kDescription = "meshcall";

struct DevListFree {
    void operator()(UPNPDev* list) const { freeUPNPDevlist(list); }
};
using DevList = std::unique_ptr<UPNPDev, DevListFree>;

// One internet gateway: the URLs and service of its description, and our address toward it.
class Igd {
  public:
    Igd() = default;
    ~Igd() { FreeUPNPUrls(&urls_); }
    Igd(const Igd&) = delete;
    Igd& operator=(const Igd&) = delete;

    UPNPUrls& urls() { return urls_; }
    IGDdatas& data() { return data_; }
    char* lan() { return lan_; }
    static constexpr int kLanSize = 64;

    const char* control() const { return urls_.controlURL; }
    const char* service() const { return data_.first.servicetype; }
    std::string description_url() const { return urls_.rootdescURL ? urls_.rootdescURL : ""; }

  private:
    UPNPUrls urls_{};
    IGDdatas data_{};
    char lan_[kLanSize] = "";
};

struct UrlHost {
    std::string host;
    std::string port = "80";
};

// "http://192.168.77.1:5000/rootDesc.xml" -> {"192.168.77.1", "5000"} ("[::1]" without brackets).
UrlHost url_host(const std::string& url) {
    UrlHost h;
    auto begin = url.find("://");
    begin = begin == std::string::npos ? 0 : begin + 3;
    auto end = url.find('/', begin);
    const std::string authority = url.substr(begin, end == std::string::npos ? end : end - begin);
    std::size_t colon;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        h.host = authority.substr(1, close == std::string::npos ? close : close - 1);
        colon = close == std::string::npos ? close : authority.find(':', close);
    } else {
        colon = authority.find(':');
        h.host = authority.substr(0, colon);
    }
    if (colon != std::string::npos && colon + 1 < authority.size())
        h.port = authority.substr(colon + 1);
    return h;
}

// Owns a socket descriptor.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

// Whether the router at `url` still takes a TCP connection, within the deadline: miniupnpc's
// own connect would wait 3 s for a router that went away. Returns "" or why not.
std::string check_reachable(const std::string& url, const Deadline& deadline) {
    const UrlHost where = url_host(url);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    if (getaddrinfo(where.host.c_str(), where.port.c_str(), &hints, &list) != 0 || !list)
        return "the router's address in " + url + " is not an IP address and port";
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(list, &freeaddrinfo);
    const Fd fd(socket(list->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return std::string("cannot open a socket: ") + strerror(errno);
    if (connect(fd.get(), list->ai_addr, list->ai_addrlen) != 0 && errno != EINPROGRESS)
        return "cannot reach " + where.host + ": " + strerror(errno);
    pollfd p{fd.get(), POLLOUT, 0};
    int ready;
    do {
        ready = poll(&p, 1, static_cast<int>(deadline.remaining().count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0)
        return "no answer from " + where.host + " in " + duration_text(deadline.given());
    int error = 0;
    socklen_t len = sizeof error;
    if (ready < 0 || getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error != 0) return "cannot reach " + where.host + ": " + strerror(error);
    return {};
}

// An IPv4 literal (what GetExternalIPAddress answers) as an Address with port 0.
std::optional<Address> ipv4_address(const char* text) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &sa.sin_addr) != 1) return std::nullopt;
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa));
}

// A UPnP error code in words (miniupnpc's table lacks some that routers send).
std::string upnp_error(int code) {
    const char* text = nullptr;
    switch (code) {
        case 606:
            text = "not authorized";
            break;
        case kConflictInMappingEntry:
            text = "the port is mapped to another host";
            break;
        case kOnlyPermanentLeasesSupported:
            text = "only permanent mappings";
            break;
        case 728:
            text = "no free mappings left";
            break;
        case kConflictWithOtherMechanisms:
            text = "the port is in use on the router";
            break;
        default:
            text = strupnperror(code);
    }
    std::string s = text ? text : "error";
    if (code > 0) s += " (" + std::to_string(code) + ")";
    return s;
}

// Whether SSDP's multicast group has a route (a connect() on UDP is a route lookup): without
// one miniupnpc would print its sendto() errors on stderr and still wait out its 1 s.
bool multicast_routed() {
    const Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in group{};
    group.sin_family = AF_INET;
    group.sin_port = htons(1900);
    inet_pton(AF_INET, "239.255.255.250", &group.sin_addr);
    return fd.get() >= 0 &&
           connect(fd.get(), reinterpret_cast<const sockaddr*>(&group), sizeof group) == 0;
}

// Finds the gateway by SSDP. Returns "" or why not.
std::string discover(Igd& igd, const Deadline& deadline) {
    if (deadline.remaining() < kDiscoveryWait)
        return "not tried: less than the " + duration_text(kDiscoveryWait) +
               " SSDP discovery takes was left";
    if (!multicast_routed()) return "no IGD found (no route for SSDP's multicast: no network?)";
    static const char* const kTypes[] = {"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
                                         "urn:schemas-upnp-org:service:WANIPConnection:1",
                                         "urn:schemas-upnp-org:service:WANPPPConnection:1",
                                         "upnp:rootdevice", nullptr};
    int error = 0;
    // All searches sent at once, then one wait; "" skips minissdpd (a local SSDP cache daemon).
    DevList devices(upnpDiscoverDevices(kTypes, static_cast<int>(kDiscoveryWait.count()), nullptr,
                                        "", UPNP_LOCAL_PORT_ANY, 0, 2, &error, 1));
    if (!devices) {
        if (error == UPNPDISCOVER_SOCKET_ERROR)
            return "no IGD found (the SSDP search could not be sent)";
        return "no IGD found (no answer to SSDP in " + duration_text(kDiscoveryWait) + ")";
    }
    if (deadline.expired()) return "out of time after SSDP discovery";
#if MINIUPNPC_API_VERSION >= 18
    char wan[64] = "";
    const int r = UPNP_GetValidIGD(devices.get(), &igd.urls(), &igd.data(), igd.lan(),
                                   Igd::kLanSize, wan, sizeof wan);
    const bool usable =
        r == UPNP_CONNECTED_IGD || r == UPNP_PRIVATEIP_IGD || r == UPNP_DISCONNECTED_IGD;
    const bool not_igd = r == UPNP_UNKNOWN_DEVICE;
#else
    // 1 connected IGD, 2 an IGD that says it is not connected (often wrongly: tried all the
    // same), 3 a UPnP device that is no IGD, 0 none usable.
    const int r =
        UPNP_GetValidIGD(devices.get(), &igd.urls(), &igd.data(), igd.lan(), Igd::kLanSize);
    const bool usable = r == 1 || r == 2;
    const bool not_igd = r == 3;
#endif
    if (usable) return {};
    if (not_igd) return "no IGD found (UPnP devices answered, none is an internet gateway)";
    return "no IGD found (the devices that answered SSDP gave no usable description)";
}

// Reads the router's description at `url` (a known router). Returns "" or why not.
std::string open_known(Igd& igd, const std::string& url, const Deadline& deadline) {
    if (std::string e = check_reachable(url, deadline); !e.empty()) return e;
    if (UPNP_GetIGDFromUrl(url.c_str(), &igd.urls(), &igd.data(), igd.lan(), Igd::kLanSize) == 0)
        return "the router's description at " + url + " could not be read";
    return {};
}

int add(Igd& igd, uint16_t external, uint16_t internal, const std::string& lease) {
    const std::string ext = std::to_string(external), in = std::to_string(internal);
    return UPNP_AddPortMapping(igd.control(), igd.service(), ext.c_str(), in.c_str(), igd.lan(),
                               kDescription, "UDP", nullptr, lease.c_str());
}

// The lease the router holds for `external`, or `asked` when it does not say.
uint32_t granted_lease(Igd& igd, uint16_t external, uint32_t asked) {
    char client[64] = "", port[16] = "", desc[96] = "", enabled[16] = "", lease[32] = "";
    const std::string ext = std::to_string(external);
    if (UPNP_GetSpecificPortMappingEntry(igd.control(), igd.service(), ext.c_str(), "UDP", nullptr,
                                         client, port, desc, enabled, lease) != 0)
        return asked;
    char* end = nullptr;
    const unsigned long v = std::strtoul(lease, &end, 10);
    return end != lease && v > 0 && v <= asked ? static_cast<uint32_t>(v) : asked;
}

}  // namespace

PortMappingAttempt map(uint16_t internal_port, uint16_t wanted_external, uint32_t lifetime_s,
                       const std::string& igd_url, const Deadline& deadline, std::stop_token stop) {
    Igd igd;
    const bool renewing = !igd_url.empty();
    if (std::string e = renewing ? open_known(igd, igd_url, deadline) : discover(igd, deadline);
        !e.empty())
        return {std::nullopt, e};
    const std::string gateway = url_host(igd.description_url()).host;
    if (stop.stop_requested()) return {std::nullopt, "stopped"};
    if (deadline.expired()) return {std::nullopt, "out of time after finding " + gateway};

    char ext_ip[64] = "";
    int r = UPNP_GetExternalIPAddress(igd.control(), igd.service(), ext_ip);
    if (r != 0 || !ext_ip[0] || std::string(ext_ip) == "0.0.0.0")
        return {std::nullopt, gateway + " has no external address" +
                                  (r != 0 ? ": " + upnp_error(r) : std::string())};
    const std::optional<Address> ext = ipv4_address(ext_ip);
    if (!ext) return {std::nullopt, gateway + " gave an unreadable external address"};
    if (stop.stop_requested()) return {std::nullopt, "stopped"};
    if (deadline.expired()) return {std::nullopt, "out of time at " + gateway};

    uint16_t external = wanted_external ? wanted_external : internal_port;
    std::string lease = std::to_string(lifetime_s);
    r = add(igd, external, internal_port, lease);
    if (r == kOnlyPermanentLeasesSupported) {  // an old router: a permanent one, removed by us
        lease = "0";
        r = add(igd, external, internal_port, lease);
    }
    if ((r == kConflictInMappingEntry || r == kConflictWithOtherMechanisms) && !renewing) {
        // The port is taken: IGDv2 lets the router choose another; else a few random ones.
        char reserved[16] = "";
        const std::string in = std::to_string(internal_port);
        r = UPNP_AddAnyPortMapping(igd.control(), igd.service(), in.c_str(), in.c_str(), igd.lan(),
                                   kDescription, "UDP", nullptr, lease.c_str(), reserved);
        if (r == 0) external = static_cast<uint16_t>(std::atoi(reserved));
        std::mt19937 rng(std::random_device{}());
        std::uniform_int_distribution<int> port(20000, 60000);
        for (int i = 0; r != 0 && i < kRandomPortTries && !deadline.expired(); ++i) {
            external = static_cast<uint16_t>(port(rng));
            r = add(igd, external, internal_port, lease);
        }
    }
    if (r != 0 || external == 0)
        return {std::nullopt, gateway + " refused the mapping of UDP " + std::to_string(external) +
                                  ": " + upnp_error(r)};

    PortMapping m;
    m.external = *ext;
    m.external.set_port(external);
    m.via = "upnp";
    m.gateway = gateway;
    m.lifetime_s = lease == "0" ? 0 : granted_lease(igd, external, lifetime_s);
    m.upnp_url = igd.description_url();
    return {std::move(m), {}};
}

bool unmap(const PortMapping& m, const Deadline& deadline, std::string& why) {
    Igd igd;
    if (std::string e = open_known(igd, m.upnp_url, deadline); !e.empty()) {
        why = e;
        return false;
    }
    if (deadline.expired()) {
        why = "out of time at " + m.gateway;
        return false;
    }
    const std::string ext = std::to_string(m.external.port());
    const int r = UPNP_DeletePortMapping(igd.control(), igd.service(), ext.c_str(), "UDP", nullptr);
    if (r == 0) return true;
    why = m.gateway + " did not remove UDP " + ext + ": " + upnp_error(r);
    return false;
}

}  // namespace meshcall::upnp_igd
