// GridRenderer: draws the call grid (tiles, names, marks, placeholders) with one SDL_Renderer,
// a window's or a software renderer's for snapshots: the same code for both. Use it only on
// the thread that owns its renderer.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/util/av_ptr.hpp"
#include "daemon/view/grid_layout.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/view/sdl_ptr.hpp"

namespace meshcall {

class GridRenderer {
  public:
    // `font_path`: a TrueType font; without one, names are not drawn (a warning, no failure).
    GridRenderer(SDL_Renderer* renderer, const std::string& font_path);

    // Draws `state` over the whole `width` x `height` output. Uploads a tile's picture only
    // when its frame changed since the last draw.
    void draw(const GridState& state, int width, int height);

  private:
    struct Tile {
        TexturePtr texture;
        int w = 0, h = 0;
        uint64_t seen = 0;  // LatestFrame generation last uploaded
        bool has_picture = false;
    };
    bool upload(Tile& tile, const AVFrame* frame);
    void draw_text(const std::string& text, int size, SDL_Color colour, int x, int y, bool centred,
                   bool boxed);
    TTF_Font* font(int size);

    SDL_Renderer* renderer_;
    TtfLibrary ttf_;
    std::string font_path_;
    std::map<int, FontPtr> fonts_;  // by point size
    std::vector<Tile> tiles_;
    std::vector<uint8_t> convert_buffer_;
    SwsContextPtr sws_;  // for pictures not in 4:2:0, rebuilt only when their format changes
};

}  // namespace meshcall
