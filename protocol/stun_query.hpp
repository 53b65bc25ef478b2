// StunQuery: asks a STUN server once, blocking, where it sees a UDP socket (its public endpoint
// behind a NAT), for the command line (`meshcall check --probe`). Any thread but the event
// loop's: it blocks for up to `timeout`. The daemon's loop uses protocol/stun_message directly.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/address.hpp"

namespace meshcall {

// Sends Binding requests from `udp_fd` (a bound UDP socket of `server`'s family, blocking or
// not) to `server`: at 0, then after r, 2r, 4r ... (RFC 8489's 500 ms RTO doubling, with r =
// timeout / 8 between 50 and 500 ms), each only if the interval that would follow it still
// fits in `timeout`: at 0, 250 and 750 ms for 2 s, at 0, 500 and 1500 ms for 5 s. Waits with
// poll until `timeout` for the success response to this transaction from `server`; what else
// arrives meanwhile (from elsewhere, another transaction, an error response) is read and
// dropped. Returns the mapped address, or nullopt with `error` in words: "no answer from
// 192.0.2.1:3478 in 2 s (3 requests sent)"; a send that cannot be made at all (another family,
// no route, not a socket) ends the query at once ("cannot send a STUN request to ...: ...").
std::optional<Address> stun_query(int udp_fd, const Address& server,
                                  std::chrono::milliseconds timeout, std::string& error);

}  // namespace meshcall
