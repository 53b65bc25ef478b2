// ControlPath: the default control socket path.
#include "protocol/control_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace meshcall {

std::string control_dir() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg == '/') return std::string(xdg) + "/meshcall";
    return "/tmp/meshcall-" + std::to_string(getuid());
}

std::string control_path_for_room(const std::string& room) {
    return control_dir() + "/" + room + ".sock";
}

}  // namespace meshcall
