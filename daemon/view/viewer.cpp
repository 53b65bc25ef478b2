// Viewer: SDL window, events and the drawing cadence.
#include "daemon/view/viewer.hpp"

#include <stdexcept>

#include "daemon/util/log.hpp"

namespace meshcall {

namespace {
// True when the current OpenGL context renders in software (Mesa llvmpipe/softpipe, swrast).
bool software_gl() {
    using GetString = const unsigned char* (*)(unsigned);
    constexpr unsigned kGlRenderer = 0x1F01;
    auto get = reinterpret_cast<GetString>(SDL_GL_GetProcAddress("glGetString"));
    const unsigned char* name = get ? get(kGlRenderer) : nullptr;
    if (!name) return false;
    const std::string r(reinterpret_cast<const char*>(name));
    return r.find("llvmpipe") != std::string::npos || r.find("softpipe") != std::string::npos ||
           r.find("Software") != std::string::npos || r.find("swrast") != std::string::npos;
}
}  // namespace

Viewer::Viewer(const GridStateSlot& grid, Actions actions, const std::string& font_path)
    : grid_(grid), actions_(std::move(actions)) {
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        throw std::runtime_error(std::string("no display: ") + SDL_GetError());
    // With no display SDL 2.26 falls back to drivers that show nothing ("offscreen", "dummy"):
    // a window nobody sees, at the cost of a software GL context. That is no display too,
    // unless the user asked for such a driver by name (SDL_VIDEODRIVER).
    const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
    if ((driver == "offscreen" || driver == "dummy") && !SDL_getenv("SDL_VIDEODRIVER")) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        throw std::runtime_error("no display (only SDL's " + driver + " video driver)");
    }
    window_.reset(SDL_CreateWindow("meshcall", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 1280,
                                   720, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI));
    if (!window_) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        throw std::runtime_error(std::string("cannot open a window: ") + SDL_GetError());
    }
    // The GPU when there is one, else SDL's software renderer; scaling is the renderer's job.
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_ACCELERATED));
    if (renderer_ && software_gl() && !SDL_GetHint(SDL_HINT_RENDER_DRIVER)) {
        // OpenGL on a software rasterizer (Mesa llvmpipe: no GPU, e.g. under Xvfb) is slower
        // than SDL's own software renderer for a 2D grid, and misdraws; use SDL's.
        spdlog::info("window: no GPU (software OpenGL); using SDL's software renderer");
        renderer_.reset();
        // SDL keeps the GL context on the window: a fresh window for the software renderer.
        window_.reset(SDL_CreateWindow("meshcall", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                       1280, 720, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI));
    }
    if (!renderer_ && window_)
        renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_SOFTWARE));
    if (!renderer_) {
        window_.reset();
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        throw std::runtime_error(std::string("cannot draw in a window: ") + SDL_GetError());
    }
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(renderer_.get(), &info);
    spdlog::info("window: {} renderer, {} video driver", info.name ? info.name : "?",
                 SDL_GetCurrentVideoDriver());
    painter_ = std::make_unique<GridRenderer>(renderer_.get(), font_path);
}

Viewer::~Viewer() {
    painter_.reset();
    renderer_.reset();
    window_.reset();
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void Viewer::handle(const SDL_Event& e) {
    if (e.type == SDL_QUIT) {
        leaving_ = true;
    } else if (e.type == SDL_KEYDOWN && !e.key.repeat) {
        switch (e.key.keysym.sym) {
            case SDLK_m:
                actions_.toggle_audio();
                break;
            case SDLK_v:
                actions_.toggle_video();
                break;
            case SDLK_f:
                fullscreen_ = !fullscreen_;
                SDL_SetWindowFullscreen(window_.get(),
                                        fullscreen_ ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
                break;
            case SDLK_q:
            case SDLK_ESCAPE:
                leaving_ = true;
                break;
            default:
                break;
        }
    }
    if (leaving_) {
        leaving_ = false;
        actions_.leave();
    }
}

void Viewer::run(const std::atomic<bool>& ended, SnapshotService& snapshots) {
    constexpr Uint32 kFrameMs = 16;  // draw at most ~60 times a second
    uint64_t drawn_generation = ~0ull, drawn_frames = 0;
    Uint32 last_draw = 0;
    while (!ended) {
        SDL_Event e;
        if (SDL_WaitEventTimeout(&e, static_cast<int>(kFrameMs))) {
            handle(e);
            while (SDL_PollEvent(&e)) handle(e);
        }
        snapshots.serve(std::chrono::milliseconds(0));
        const Uint32 now = SDL_GetTicks();
        uint64_t generation = 0;
        GridState state = grid_.read(&generation);
        // Redraw when a tile has a new frame, when the state changed, or twice a second.
        uint64_t frames = 0;  // generations only grow: their sum changes when any tile has news
        for (const auto& t : state.tiles)
            if (t.frame) frames += t.frame->generation();
        const bool changed =
            generation != drawn_generation || frames != drawn_frames || now - last_draw > 500;
        if (!changed || now - last_draw < kFrameMs) continue;
        if (state.title != title_) {
            title_ = state.title;
            SDL_SetWindowTitle(window_.get(), title_.c_str());
        }
        int w = 0, h = 0;
        SDL_GetRendererOutputSize(renderer_.get(), &w, &h);
        if ((w != drawn_w_ || h != drawn_h_) && actions_.resized) actions_.resized(w, h);
        drawn_w_ = w;
        drawn_h_ = h;
        painter_->draw(state, w, h);
        SDL_RenderPresent(renderer_.get());
        drawn_generation = generation;
        drawn_frames = frames;
        last_draw = now;
    }
}

}  // namespace meshcall
