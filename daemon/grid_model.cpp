// GridModel: the grid's tiles from the call's state.
#include "daemon/grid_model.hpp"

#include <string_view>

namespace meshcall {

GridState GridModel::build(int64_t now_us) {
    std::vector<SpeakerPicker::Candidate> candidates;
    for (const auto& p : peers_)
        candidates.push_back(
            {p->receiver().stats().audio_level.load(), p->connected(now_us) && !p->audio_muted()});
    const int speaker = speaker_.update(candidates, now_us);

    GridState g;
    g.video_w = config_.room.video.width;
    g.video_h = config_.room.video.height;
    // A tile for everyone who sends: participants and stock senders, not viewers (stock
    // players have no picture; status lists them).
    int here = 1, tiles = 1;
    std::size_t k = 0;
    for (std::size_t i = 0; i < config_.room.peers.size(); ++i) {
        if (static_cast<int>(i) == config_.self) {
            if (focus_ < 0) g.tiles.push_back(self_tile());
            continue;
        }
        const PeerLink& p = *peers_[k];
        if (config_.room.peers[i].sends()) {
            if (focus_ < 0 || focus_ == static_cast<int>(i))
                g.tiles.push_back(peer_tile(p, static_cast<int>(k) == speaker, now_us));
            here += std::string_view(p.state(now_us)) == "connected";
            ++tiles;
        }
        ++k;
    }
    g.title = "meshcall \u2014 " + config_.room.name + " (" + std::to_string(here) + " of " +
              std::to_string(tiles) + " here)";
    return g;
}

TileState GridModel::self_tile() const {
    TileState t;
    t.name = config_.me().name;
    t.self = true;
    t.frame = &self_view_;
    t.audio_muted = sender_.audio_muted();
    t.show = sender_.video_muted() ? TileState::Show::video_off : TileState::Show::video;
    return t;
}

TileState GridModel::peer_tile(const PeerLink& p, bool speaking, int64_t now_us) const {
    TileState t;
    t.name = p.name();
    t.frame = &p.receiver().video();
    t.audio_muted = p.audio_muted();
    t.loss_pct = p.loss_pct();
    t.lossy = p.loss_pct() > 2.0;
    t.held_down = p.held_down();
    t.speaking = speaking;
    const std::string state = p.state(now_us);
    if (state == "left")
        t.show = TileState::Show::left;
    else if (state == "cannot-authenticate")
        t.show = TileState::Show::cannot_authenticate;
    else if (p.video_muted())
        t.show = TileState::Show::video_off;
    else if (state == "connected" && p.receiver().video().has_frame())
        t.show = TileState::Show::video;
    else
        t.show = TileState::Show::waiting;
    return t;
}

}  // namespace meshcall
