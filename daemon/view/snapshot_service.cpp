// SnapshotService: the view thread's snapshot queue.
#include "daemon/view/snapshot_service.hpp"

namespace meshcall {

bool SnapshotService::serve(std::chrono::milliseconds wait) {
    SnapshotJob job;
    for (;;) {
        const auto got = jobs_.pop(job, wait);
        if (got == SnapshotQueue::Pop::closed) return false;
        if (got == SnapshotQueue::Pop::timeout) return true;
        wait = std::chrono::milliseconds(0);
        SnapshotDone done{job.reply_to, job.path, {}};
        try {
            if (!renderer_) renderer_ = std::make_unique<SnapshotRenderer>(1280, 720, font_path_);
            done.error = renderer_->write_png(job.grid, job.path);
        } catch (const std::exception& e) {
            done.error = e.what();  // e.g. no font: this snapshot fails, the call goes on
        }
        done_(std::move(done));
    }
}

void SnapshotService::run(const std::atomic<bool>& ended) {
    while (!ended && serve(std::chrono::milliseconds(100))) {
    }
}

}  // namespace meshcall
