// Snapshot: the grid drawn by GridRenderer onto a software surface and written as a PNG
// (libavcodec's PNG encoder). How headless users, bots and tests see a call. One thread: main (SDL
// and SDL_ttf are not thread-safe), through SnapshotService.
#pragma once

#include <memory>
#include <string>

#include "daemon/view/grid_renderer.hpp"

namespace meshcall {

class SnapshotRenderer {
  public:
    SnapshotRenderer(int width, int height, const std::string& font_path);
    ~SnapshotRenderer();

    // Draws `state` and writes it to `path` (through a temporary file and a rename, so a reader
    // never sees half a picture). Returns "" or what went wrong.
    std::string write_png(const GridState& state, const std::string& path);

  private:
    int width_, height_;
    SurfacePtr surface_;
    RendererPtr renderer_;
    std::unique_ptr<GridRenderer> grid_;
};

// Encodes tightly packed RGBA pixels as PNG into `out`. Returns "" or the error.
std::string encode_png_rgba(const uint8_t* rgba, int width, int height, int stride,
                            std::string& out);

}  // namespace meshcall
