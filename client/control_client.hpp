// ControlClient: a blocking connection to a running call's control socket (for the CLI).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocol/control_message.hpp"

namespace meshcall {

// Sends one request and waits (up to `timeout_ms`) for its reply line. Returns nullopt and
// sets `error` if the socket cannot be reached or does not answer.
std::optional<nlohmann::json> control_request(const std::string& socket_path,
                                              const ControlRequest& request, std::string& error,
                                              int timeout_ms = 3000);

// Sockets of running calls in the control directory (live ones only), sorted by room.
std::vector<std::string> running_calls();

}  // namespace meshcall
