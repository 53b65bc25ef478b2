// Test support: a private network namespace for the calling thread, to see what network code
// does where there is no router, or one that never answers.
#pragma once

#include <string>

namespace meshcall::test {

// The gateway 10.99.0.1 of a silent network: a route and a neighbour entry, nobody behind them.
inline constexpr const char* kSilentGateway = "10.99.0.1";

// Moves the calling thread into a fresh network namespace with only `lo` up; what it starts
// afterwards (threads, processes) is there too, the rest of the process is not. With
// `silent_gateway`, also a veth pair: 10.99.0.2/24 on one end, a default route via
// kSilentGateway with a permanent neighbour entry, so datagrams to the router and multicast
// leave and nothing ever answers (not even ICMP). Returns "" or why not (needs root and `ip`:
// the caller then skips).
std::string enter_network_namespace(bool silent_gateway);

}  // namespace meshcall::test
