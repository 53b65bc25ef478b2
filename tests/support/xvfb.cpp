// Xvfb: a private X server for window tests.
#include "tests/support/xvfb.hpp"

#include <csignal>
#include <sstream>

namespace meshcall::test {

Xvfb::Xvfb(const TempDir& dir, const std::string& geometry) {
    const std::string log = dir.file("xvfb.log");
    server_ = std::make_unique<Process>(
        std::vector<std::string>{"Xvfb", "-displayfd", "1", "-screen", "0", geometry, "-nolisten",
                                 "tcp"},
        log);
    wait_until(
        [&] {
            std::istringstream text(read_file(log));
            for (std::string line; std::getline(text, line);)
                if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos)
                    display_ = ":" + line;
            return !display_.empty();
        },
        std::chrono::seconds(10));
}

Xvfb::~Xvfb() {
    server_->signal(SIGTERM);
    server_->wait(std::chrono::seconds(3));
}

}  // namespace meshcall::test
