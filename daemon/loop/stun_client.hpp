// StunClient: asks the room's STUN servers (config "stun") for this participant's public
// endpoint, from the call's own socket so that the answer names the mapping its peers see
// (README, "Calling over the internet"). A request at start, again after 0.5, 1.5 and 3.5 s
// while unanswered, then once a minute. Event-loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/stun_servers.hpp"
#include "protocol/stun_message.hpp"

namespace meshcall {

class StunClient {
  public:
    using Send = std::function<void(const Address& to, std::span<const uint8_t> bytes)>;

    static constexpr int64_t kRefreshUs = 60'000'000;

    explicit StunClient(std::vector<StunServer> servers);

    bool empty() const { return servers_.empty(); }
    // Sends what is due at monotonic time `now_us`.
    void poll(int64_t now_us, const Send& send);
    // True when `datagram` from `from` is a STUN server's answer to one of our requests (it is
    // then consumed, and its mapped address kept).
    bool on_datagram(std::span<const uint8_t> datagram, const Address& from, int64_t now_us);

    struct Answer {
        std::string server;  // as the room file writes it
        Address mapped;      // this participant's endpoint as that server sees it
    };
    std::vector<Answer> answers() const;

  private:
    struct Server {
        StunServer config;
        StunTransactionId id{};
        int tries = 0;            // requests sent for the current transaction
        int64_t next_us = 0;      // when to send the next
        std::optional<Address> mapped;
    };
    std::vector<Server> servers_;
};

}  // namespace meshcall
