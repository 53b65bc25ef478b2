// StunClient: STUN Binding requests on the call's socket, their retransmissions and answers.
#include "daemon/loop/stun_client.hpp"

#include "daemon/util/log.hpp"

namespace meshcall {

namespace {
// Retransmissions of one request, after the first (RFC 8489's 500 ms RTO, doubling).
constexpr int64_t kRetryUs[] = {500'000, 1'000'000, 2'000'000};
constexpr int kTries = 1 + static_cast<int>(std::size(kRetryUs));
}  // namespace

StunClient::StunClient(std::vector<StunServer> servers) {
    for (auto& s : servers) servers_.push_back(Server{std::move(s)});
}

void StunClient::poll(int64_t now_us, const Send& send) {
    for (Server& s : servers_) {
        if (now_us < s.next_us) continue;
        if (s.tries == 0 || s.tries >= kTries) {  // a new transaction
            if (s.tries >= kTries && !s.mapped)
                spdlog::debug("STUN server {} did not answer {} requests", s.config.text, kTries);
            s.id = new_stun_transaction_id();
            s.tries = 0;
        }
        send(s.config.address, encode_stun_binding_request(s.id));
        s.next_us = now_us + (s.tries < kTries - 1 ? kRetryUs[s.tries] : kRefreshUs);
        ++s.tries;
    }
}

bool StunClient::on_datagram(std::span<const uint8_t> datagram, const Address& from,
                             int64_t now_us) {
    if (!looks_like_stun(datagram)) return false;
    for (Server& s : servers_) {
        if (!(s.config.address == from)) continue;
        const auto mapped = parse_stun_binding_response(datagram, s.id);
        if (!mapped) return false;
        if (!s.mapped || !(*s.mapped == *mapped))
            spdlog::info("STUN server {} sees this call at {}", s.config.text, mapped->to_string());
        s.mapped = mapped;
        s.tries = kTries;  // answered: the next transaction in a minute
        s.next_us = now_us + kRefreshUs;
        return true;
    }
    return false;
}

std::vector<StunClient::Answer> StunClient::answers() const {
    std::vector<Answer> out;
    for (const Server& s : servers_)
        if (s.mapped) out.push_back({s.config.text, *s.mapped});
    return out;
}

}  // namespace meshcall
