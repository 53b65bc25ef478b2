// mean_rgb: a decoded picture's average colour.
#include "daemon/receive/picture_probe.hpp"

#include <algorithm>

namespace meshcall {

uint32_t mean_rgb(const AVFrame* f) {
    if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) return 0;
    double y = 0, u = 0, v = 0;
    constexpr int kGrid = 16;
    for (int gy = 0; gy < kGrid; ++gy) {
        for (int gx = 0; gx < kGrid; ++gx) {
            const int px = (2 * gx + 1) * f->width / (2 * kGrid);
            const int py = (2 * gy + 1) * f->height / (2 * kGrid);
            y += f->data[0][py * f->linesize[0] + px];
            u += f->data[1][(py / 2) * f->linesize[1] + px / 2];
            v += f->data[2][(py / 2) * f->linesize[2] + px / 2];
        }
    }
    const double n = kGrid * kGrid;
    y = y / n - 16;
    u = u / n - 128;
    v = v / n - 128;
    auto clamp = [](double c) { return static_cast<uint32_t>(std::clamp(c, 0.0, 255.0) + 0.5); };
    const uint32_t r = clamp(1.164 * y + 1.596 * v);
    const uint32_t g = clamp(1.164 * y - 0.392 * u - 0.813 * v);
    const uint32_t b = clamp(1.164 * y + 2.017 * u);
    return (r << 16) | (g << 8) | b;
}

}  // namespace meshcall
