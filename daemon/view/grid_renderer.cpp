// GridRenderer: drawing of the grid with SDL2 and SDL_ttf.
#include "daemon/view/grid_renderer.hpp"

#include <algorithm>

#include "daemon/util/log.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace meshcall {

namespace {
constexpr SDL_Color kWhite{255, 255, 255, 255};
constexpr SDL_Color kGrey{190, 190, 190, 255};
constexpr SDL_Color kRed{230, 60, 60, 255};
constexpr SDL_Color kOrange{250, 160, 40, 255};
}  // namespace

GridRenderer::GridRenderer(SDL_Renderer* renderer, const std::string& font_path)
    : renderer_(renderer), font_path_(font_path) {
    if (!ttf_.ok()) spdlog::warn("SDL_ttf could not start: names will not be drawn");
}

TTF_Font* GridRenderer::font(int size) {
    size = std::clamp(size, 8, 96);
    auto it = fonts_.find(size);
    if (it != fonts_.end()) return it->second.get();
    FontPtr f(ttf_.ok() ? TTF_OpenFont(font_path_.c_str(), size) : nullptr);
    if (!f && fonts_.empty())
        spdlog::warn("cannot open the font {}: names will not be drawn", font_path_);
    return fonts_.emplace(size, std::move(f)).first->second.get();
}

void GridRenderer::draw_text(const std::string& text, int size, SDL_Color colour, int x, int y,
                             bool centred, bool boxed) {
    TTF_Font* f = font(size);
    if (!f || text.empty()) return;
    SurfacePtr s(TTF_RenderUTF8_Blended(f, text.c_str(), colour));
    if (!s) return;
    TexturePtr t(SDL_CreateTextureFromSurface(renderer_, s.get()));
    if (!t) return;
    SDL_Rect dst{centred ? x - s->w / 2 : x, centred ? y - s->h / 2 : y, s->w, s->h};
    if (boxed) {
        SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_BLEND);
        SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 150);
        SDL_Rect box{dst.x - 4, dst.y - 2, dst.w + 8, dst.h + 4};
        SDL_RenderFillRect(renderer_, &box);
    }
    SDL_RenderCopy(renderer_, t.get(), nullptr, &dst);
}

bool GridRenderer::upload(Tile& tile, const AVFrame* f) {
    if (!tile.texture || tile.w != f->width || tile.h != f->height) {
        tile.texture.reset(SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_IYUV,
                                             SDL_TEXTUREACCESS_STREAMING, f->width, f->height));
        tile.w = f->width;
        tile.h = f->height;
        if (!tile.texture) return false;
    }
    if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
        // Straight from the decoder's planes: no conversion.
        return SDL_UpdateYUVTexture(tile.texture.get(), nullptr, f->data[0], f->linesize[0],
                                    f->data[1], f->linesize[1], f->data[2], f->linesize[2]) == 0;
    }
    // Any other format: swscale to 4:2:0 first.
    const int size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, f->width, f->height, 1);
    if (size <= 0) return false;
    convert_buffer_.resize(static_cast<std::size_t>(size));
    uint8_t* dst[4];
    int dst_linesize[4];
    av_image_fill_arrays(dst, dst_linesize, convert_buffer_.data(), AV_PIX_FMT_YUV420P, f->width,
                         f->height, 1);
    // sws_getCachedContext hands back the same context while the format and size hold.
    sws_.reset(sws_getCachedContext(sws_.release(), f->width, f->height,
                                    static_cast<AVPixelFormat>(f->format), f->width, f->height,
                                    AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
    if (!sws_) return false;
    sws_scale(sws_.get(), f->data, f->linesize, 0, f->height, dst, dst_linesize);
    return SDL_UpdateYUVTexture(tile.texture.get(), nullptr, dst[0], dst_linesize[0], dst[1],
                                dst_linesize[1], dst[2], dst_linesize[2]) == 0;
}

void GridRenderer::draw(const GridState& state, int width, int height) {
    SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(renderer_, 16, 16, 20, 255);
    // A filled rectangle, not SDL_RenderClear: SDL 2.26's OpenGL renderers (Mesa llvmpipe under
    // Xvfb) cleared to white here.
    const SDL_Rect all{0, 0, width, height};
    SDL_RenderFillRect(renderer_, &all);
    const int n = static_cast<int>(state.tiles.size());
    tiles_.resize(state.tiles.size());
    const auto rects = layout_grid(n, width, height, state.video_w, state.video_h);
    for (int i = 0; i < n; ++i) {
        const TileState& ts = state.tiles[static_cast<std::size_t>(i)];
        Tile& tile = tiles_[static_cast<std::size_t>(i)];
        const Rect& r = rects[static_cast<std::size_t>(i)];
        const SDL_Rect rect{r.x, r.y, r.w, r.h};
        if (ts.frame) {
            uint64_t seen = tile.seen;
            if (FramePtr f = ts.frame->take_if_newer(seen))
                tile.has_picture = upload(tile, f.get());
            else if (seen != tile.seen)
                tile.has_picture = false;  // cleared
            tile.seen = seen;
        }
        const int label = std::max(10, r.h / 14);
        if (ts.show == TileState::Show::video && tile.has_picture) {
            const Rect fit = fit_inside(r, tile.w, tile.h);
            const SDL_Rect dst{fit.x, fit.y, fit.w, fit.h};
            SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
            SDL_RenderFillRect(renderer_, &rect);
            SDL_RenderCopyEx(renderer_, tile.texture.get(), nullptr, &dst, 0, nullptr,
                             ts.self ? SDL_FLIP_HORIZONTAL : SDL_FLIP_NONE);
        } else {
            SDL_SetRenderDrawColor(renderer_, 48, 48, 56, 255);
            SDL_RenderFillRect(renderer_, &rect);
            std::string text;
            switch (ts.show) {
                case TileState::Show::left:
                    text = ts.name + " left";
                    break;
                case TileState::Show::video_off:
                    text = ts.name + " \u2014 video off";
                    break;
                case TileState::Show::cannot_authenticate:
                    text = ts.name + " \u2014 wrong room secret or key?";
                    break;
                default:
                    text = "waiting for " + ts.name + "\u2026";
                    break;
            }
            draw_text(text, label * 3 / 2, kGrey, r.x + r.w / 2, r.y + r.h / 2, true, false);
        }
        // The name, bottom left; the marks, top right.
        draw_text(ts.self ? ts.name + " (you)" : ts.name, label, kWhite, r.x + 8,
                  r.y + r.h - label * 2, false, true);
        int mark_x = r.x + r.w - 8;
        auto mark = [&](const std::string& text, SDL_Color colour) {
            TTF_Font* f = font(label);
            int tw = 0, th = 0;
            if (!f || TTF_SizeUTF8(f, text.c_str(), &tw, &th) != 0) return;
            mark_x -= tw;
            draw_text(text, label, colour, mark_x, r.y + 6, false, true);
            mark_x -= 14;
        };
        if (ts.audio_muted) mark("mic off", kRed);
        if (ts.held_down && ts.show == TileState::Show::video) mark("low quality", kOrange);
        if (ts.lossy)
            mark("loss " + std::to_string(static_cast<int>(ts.loss_pct + 0.5)) + "%", kOrange);
        if (ts.speaking) {
            SDL_SetRenderDrawColor(renderer_, 80, 220, 120, 255);
            for (int k = 0; k < 4; ++k) {
                SDL_Rect border{r.x - k, r.y - k, r.w + 2 * k, r.h + 2 * k};
                SDL_RenderDrawRect(renderer_, &border);
            }
        }
    }
}

}  // namespace meshcall
