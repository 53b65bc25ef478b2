// StaleBacklog: the time bound on a peer's receive queue.
#include "daemon/receive/stale_backlog.hpp"

namespace meshcall {

StaleBacklog::Verdict StaleBacklog::judge(int64_t arrival_us, int64_t now_us) {
    if (arrival_us < 0 || now_us - arrival_us <= kBoundUs) return Verdict::keep;
    ++drops_;
    const bool new_episode = last_drop_us_ < 0 || now_us - last_drop_us_ > kEpisodeGapUs;
    last_drop_us_ = now_us;
    if (!new_episode) return Verdict::drop;
    ++episodes_;
    return Verdict::drop_new_episode;
}

}  // namespace meshcall
