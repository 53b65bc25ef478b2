// GridFilter: the viewer's grid as one ffmpeg filter graph.
#include "client/grid_filter.hpp"

namespace meshcall {

namespace {
// The smallest number of columns whose square holds `tiles`.
int columns_for(int tiles) {
    int columns = 1;
    while (columns * columns < tiles) ++columns;
    return columns;
}
}  // namespace

std::string grid_filtergraph(int inputs, int tile_w, int tile_h, int fps) {
    const std::string size = std::to_string(tile_w) + ":" + std::to_string(tile_h);
    std::string g, tiles, sounds, layout;
    const int columns = columns_for(inputs);
    for (int i = 0; i < inputs; ++i) {
        const std::string n = std::to_string(i);
        // Scaled with the aspect kept and padded, so every tile has the same size and format.
        g += "[" + n + ":v]scale=" + size + ":force_original_aspect_ratio=decrease,pad=" + size +
             ":-1:-1,setsar=1,format=yuv420p[v" + n + "];";
        tiles += "[v" + n + "]";
        sounds += "[" + n + ":a]";
        layout += (i ? "|" : "") + std::to_string(i % columns * tile_w) + "_" +
                  std::to_string(i / columns * tile_h);
    }
    const std::string rate = "fps=" + std::to_string(fps) + "[v];";
    if (inputs == 1)
        g += tiles + rate;
    else
        g += tiles + "xstack=inputs=" + std::to_string(inputs) + ":layout=" + layout +
             ":fill=black," + rate;
    // Arrival-time stamps jitter: aresample stretches or pads the mix onto that same timeline
    // (without it, ffmpeg 5.1 warns of non-monotonic audio DTS; counting the samples from zero
    // instead left the sound 1.3 s off the pictures in ffplay).
    g += sounds + "amix=inputs=" + std::to_string(inputs) +
         ":duration=longest:dropout_transition=0:normalize=0,aresample=async=1000[a]";
    return g;
}

}  // namespace meshcall
