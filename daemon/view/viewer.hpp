// Viewer: the call window. An SDL2 window on the main thread showing the grid (GridRenderer),
// with keys m (microphone), v (video), f (fullscreen), q / Esc / closing the window (leave).
// Main thread only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "daemon/view/grid_renderer.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/view/snapshot_service.hpp"

namespace meshcall {

class Viewer {
  public:
    struct Actions {
        std::function<void()> toggle_audio;
        std::function<void()> toggle_video;
        std::function<void()> leave;
        // The size the grid is drawn at (pixels), when it changes; may be empty.
        std::function<void(int, int)> resized;
    };

    // Opens the window. Throws std::runtime_error when there is no display.
    Viewer(const GridStateSlot& grid, Actions actions, const std::string& font_path);
    ~Viewer();

    // Shows the call until `ended` becomes true, serving `snapshots` between frames.
    void run(const std::atomic<bool>& ended, SnapshotService& snapshots);

  private:
    void handle(const SDL_Event& e);

    const GridStateSlot& grid_;
    Actions actions_;
    WindowPtr window_;
    RendererPtr renderer_;
    std::unique_ptr<GridRenderer> painter_;
    std::string title_;
    bool fullscreen_ = false, leaving_ = false;
    int drawn_w_ = 0, drawn_h_ = 0;
};

}  // namespace meshcall
