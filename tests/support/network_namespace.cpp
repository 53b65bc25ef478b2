// Test support: a fresh network namespace (unshare) set up with `ip`.
#include "tests/support/network_namespace.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "tests/support/process.hpp"

namespace meshcall::test {

namespace {
// Runs `ip ARGS...` (in the calling thread's namespace: fork copies it). Returns "" or why not.
std::string ip(std::vector<std::string> args) {
    args.insert(args.begin(), "ip");
    const std::string text = [&] {
        std::string t;
        for (const auto& a : args) t += (t.empty() ? "" : " ") + a;
        return t;
    }();
    const RunResult r = run(std::move(args), std::chrono::seconds(10));
    return r.status == 0 ? std::string() : text + ": " + r.err;
}
}  // namespace

std::string enter_network_namespace(bool silent_gateway) {
    if (geteuid() != 0) return "needs root (a network namespace)";
    if (!have_program("ip")) return "needs `ip` (Debian: iproute2)";
    if (unshare(CLONE_NEWNET) != 0)
        return std::string("cannot create a network namespace: ") + strerror(errno);
    std::vector<std::vector<std::string>> steps = {{"link", "set", "lo", "up"}};
    if (silent_gateway) {
        steps.insert(steps.end(), {{"link", "add", "v0", "type", "veth", "peer", "name", "v1"},
                                   {"addr", "add", "10.99.0.2/24", "dev", "v0"},
                                   {"link", "set", "v0", "up"},
                                   {"link", "set", "v1", "up"},
                                   {"neigh", "replace", kSilentGateway, "lladdr",
                                    "02:00:00:00:99:01", "dev", "v0", "nud", "permanent"},
                                   {"route", "add", "default", "via", kSilentGateway}});
    }
    for (auto& step : steps)
        if (std::string e = ip(step); !e.empty()) return e;
    return {};
}

}  // namespace meshcall::test
