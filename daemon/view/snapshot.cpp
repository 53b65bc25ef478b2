// Snapshot: software rendering of the grid and PNG output.
#include "daemon/view/snapshot.hpp"

#include <cstdio>
#include <cstring>

#include "daemon/util/av_ptr.hpp"

namespace meshcall {

std::string encode_png_rgba(const uint8_t* rgba, int width, int height, int stride,
                            std::string& out) {
    const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec) return "this FFmpeg has no PNG encoder";
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    ctx->width = width;
    ctx->height = height;
    ctx->pix_fmt = AV_PIX_FMT_RGBA;
    ctx->time_base = {1, 1};
    int rc = avcodec_open2(ctx.get(), codec, nullptr);
    if (rc < 0) return "cannot open the PNG encoder: " + av_error_text(rc);
    FramePtr frame = make_frame();
    frame->format = AV_PIX_FMT_RGBA;
    frame->width = width;
    frame->height = height;
    frame->data[0] = const_cast<uint8_t*>(rgba);
    frame->linesize[0] = stride;
    PacketPtr pkt = make_packet();
    rc = avcodec_send_frame(ctx.get(), frame.get());
    if (rc >= 0) rc = avcodec_receive_packet(ctx.get(), pkt.get());
    if (rc < 0) return "PNG encoding failed: " + av_error_text(rc);
    out.assign(reinterpret_cast<const char*>(pkt->data), static_cast<std::size_t>(pkt->size));
    return {};
}

SnapshotRenderer::SnapshotRenderer(int width, int height, const std::string& font_path)
    : width_(width), height_(height) {
    // ABGR8888 is R, G, B, A in memory on little-endian machines: RGBA for the PNG encoder.
    surface_.reset(SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ABGR8888));
    if (surface_) renderer_.reset(SDL_CreateSoftwareRenderer(surface_.get()));
    if (renderer_) grid_ = std::make_unique<GridRenderer>(renderer_.get(), font_path);
}

SnapshotRenderer::~SnapshotRenderer() {
    grid_.reset();  // its textures belong to the renderer
}

std::string SnapshotRenderer::write_png(const GridState& state, const std::string& path) {
    if (!grid_) return std::string("cannot create a drawing surface: ") + SDL_GetError();
    grid_->draw(state, width_, height_);
    SDL_RenderPresent(renderer_.get());
    std::string png;
    SDL_LockSurface(surface_.get());
    std::string error = encode_png_rgba(static_cast<const uint8_t*>(surface_->pixels), width_,
                                        height_, surface_->pitch, png);
    SDL_UnlockSurface(surface_.get());
    if (!error.empty()) return error;
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return "cannot write " + tmp + ": " + std::strerror(errno);
    const bool ok = std::fwrite(png.data(), 1, png.size(), f) == png.size();
    if (std::fclose(f) != 0 || !ok) {
        std::remove(tmp.c_str());
        return "cannot write " + tmp;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return "cannot write " + path + ": " + std::strerror(errno);
    }
    return {};
}

}  // namespace meshcall
