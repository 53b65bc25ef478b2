// GridModel: what the grid shows now (GridState: a tile per participant in room order, what it
// shows, its marks, the speaker), computed from the peers' links and the send path a few times
// a second. Event-loop thread only; the GridState it builds is handed to the window and the
// snapshot renderer through a GridStateSlot.
#pragma once

#include <memory>
#include <vector>

#include "config/call_config.hpp"
#include "daemon/loop/peer_link.hpp"
#include "daemon/send/media_sender.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/view/speaker_picker.hpp"

namespace meshcall {

class GridModel {
  public:
    // Everything referenced outlives the model.
    GridModel(const CallConfig& config, const std::vector<std::unique_ptr<PeerLink>>& peers,
              const MediaSender& sender, const LatestFrame& self_view)
        : config_(config), peers_(peers), sender_(sender), self_view_(self_view) {}

    GridState build(int64_t now_us);
    // Shows only the tile of room peer `room_index` (-1: the grid).
    void set_focus(int room_index) { focus_ = room_index; }
    int focus() const { return focus_; }

  private:
    TileState self_tile() const;
    TileState peer_tile(const PeerLink& p, bool speaking, int64_t now_us) const;

    const CallConfig& config_;
    const std::vector<std::unique_ptr<PeerLink>>& peers_;
    const MediaSender& sender_;
    const LatestFrame& self_view_;
    SpeakerPicker speaker_;
    int focus_ = -1;
};

}  // namespace meshcall
