// Test support: a private X server (Xvfb) for a real window. Xvfb picks a free display itself
// and writes its number once it accepts connections (-displayfd): no display number that a
// killed server's lock file still holds, no socket that exists before the server listens.
// Stopped with SIGTERM in the destructor (Xvfb then removes its lock file and socket).
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace meshcall::test {

class Xvfb {
  public:
    // Starts Xvfb with one screen of `geometry` ("1280x720x24"), its log in `dir`, and waits
    // (10 s at most) for its display number; display() is empty if it never came.
    Xvfb(const TempDir& dir, const std::string& geometry);
    ~Xvfb();
    Xvfb(const Xvfb&) = delete;
    Xvfb& operator=(const Xvfb&) = delete;

    const std::string& display() const { return display_; }  // ":N"

  private:
    std::unique_ptr<Process> server_;
    std::string display_;
};

}  // namespace meshcall::test
