// commands: the meshcall CLI's requests to a running call (status, mute, unmute, leave, focus,
// record, list).
#pragma once

#include <string>

namespace meshcall {

struct CallTarget {
    std::string room;     // --room NAME
    std::string control;  // --control PATH
};

// Each returns the exit status (0 ok, 1 the call refused or failed, 3 no such call).
int run_status(const CallTarget& target, bool json);
int run_mute(const CallTarget& target, const std::string& what, bool mute);
int run_leave(const CallTarget& target);
// Shows `peer`'s tile alone (its largest video layer); empty: back to the grid.
int run_focus(const CallTarget& target, const std::string& peer);
// Starts recording the call into `dir` (relative to here; empty: a new directory
// ./meshcall-YYYYMMDD-HHMMSS), or stops the recording.
int run_record(const CallTarget& target, const std::string& dir, bool stop);
int run_list();

}  // namespace meshcall
