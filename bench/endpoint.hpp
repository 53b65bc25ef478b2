// Endpoint: an IPv4 HOST:PORT on a benchmark tool's command line, as a CLI11 validator and a
// sockaddr. The tools share it so a bad address is a usage error (exit 2), never a crash.
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>

namespace meshcall::bench {

// "127.0.0.1:1313" -> its address; nullopt if it is not an IPv4 literal with a port 1-65535.
std::optional<sockaddr_in> parse_endpoint(const std::string& text);

// For CLI11's ->check(): "" when `text` parses, else why not.
std::string check_endpoint(const std::string& text);

}  // namespace meshcall::bench
