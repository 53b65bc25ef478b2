// SnapshotService: snapshots drawn on the view thread. The event loop asks for them (a control
// request, the --snapshot timer) with the grid to draw; the view thread (main: the only thread
// that uses SDL and SDL_ttf, which are not thread-safe) draws and PNG-encodes them, so a
// snapshot never stalls the loop's datagrams, and hands the outcome back.
// The loop pushes SnapshotJobs; everything else here is main-thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/util/bounded_queue.hpp"
#include "daemon/view/grid_state.hpp"
#include "daemon/view/snapshot.hpp"

namespace meshcall {

struct SnapshotJob {
    GridState grid;          // what to draw, built by the loop when it asked
    std::string path;        // where the PNG goes
    uint64_t reply_to = 0;   // the control client waiting for it (0: nobody, the timer)
};

struct SnapshotDone {
    uint64_t reply_to = 0;
    std::string path;
    std::string error;  // "" when written
};

// A few at most: a view thread that falls behind drops the oldest asks, never queues seconds.
using SnapshotQueue = BoundedQueue<SnapshotJob>;

class SnapshotService {
  public:
    SnapshotService(SnapshotQueue& jobs, std::function<void(SnapshotDone)> done,
                    std::string font_path)
        : jobs_(jobs), done_(std::move(done)), font_path_(std::move(font_path)) {}

    // Draws what is queued, waiting up to `wait` for a first job. Returns false once the queue
    // is closed.
    bool serve(std::chrono::milliseconds wait);
    // With no window: serves until `ended`.
    void run(const std::atomic<bool>& ended);

  private:
    SnapshotQueue& jobs_;
    std::function<void(SnapshotDone)> done_;
    std::string font_path_;
    std::unique_ptr<SnapshotRenderer> renderer_;  // made on the first job
};

}  // namespace meshcall
