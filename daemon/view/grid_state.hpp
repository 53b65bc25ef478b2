// GridState: what the grid shows, computed by the event loop a few times a second and read by
// whoever draws (the window and snapshots, both on the main thread).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "daemon/util/latest_frame.hpp"

namespace meshcall {

struct TileState {
    enum class Show { video, waiting, video_off, left, cannot_authenticate };
    std::string name;
    Show show = Show::waiting;
    bool self = false;         // the self-view: drawn mirrored
    bool audio_muted = false;  // a muted-microphone mark
    bool lossy = false;        // a loss mark (over 2 %)
    double loss_pct = 0;
    bool held_down = false;  // its pictures come smaller than we ask for (congestion): a mark
    bool speaking = false;               // the loudest current speaker: a highlighted border
    const LatestFrame* frame = nullptr;  // owned by the session, outlives every reader
};

struct GridState {
    std::string title;  // "meshcall — standup (3 of 4 here)"
    int video_w = 640, video_h = 480;
    std::vector<TileState> tiles;
};

// A latest-value slot for the grid state (the same latest-wins hand-off as LatestFrame).
class GridStateSlot {
  public:
    void publish(GridState state) {
        std::lock_guard lock(mutex_);
        state_ = std::move(state);
        ++generation_;
    }
    GridState read(uint64_t* generation = nullptr) const {
        std::lock_guard lock(mutex_);
        if (generation) *generation = generation_;
        return state_;
    }

  private:
    mutable std::mutex mutex_;
    GridState state_;
    uint64_t generation_ = 0;
};

}  // namespace meshcall
