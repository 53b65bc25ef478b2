// GridFilter: the stock-ffmpeg filter graph of a viewer's single-window grid: each input scaled
// to one tile size, the tiles stacked (xstack), the sounds mixed (amix).
#pragma once

#include <string>

namespace meshcall {

// The -filter_complex value for `inputs` inputs (in ceil(sqrt(inputs)) columns, as many rows as
// needed, as meshcalld's own window lays them out) (ffmpeg input 0..inputs-1, each with video and
// audio), tiles of tile_w x tile_h, output at `fps`; outputs are labelled [v] and [a].
std::string grid_filtergraph(int inputs, int tile_w, int tile_h, int fps);

}  // namespace meshcall
