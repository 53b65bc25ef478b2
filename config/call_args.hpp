// CallArgs on the command line: the options of a call, shared by `meshcalld` and `meshcall join`
// (which hands them on to meshcalld), so both take and document exactly the same ones.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "config/call_config.hpp"

namespace meshcall {

// Adds --as, --video, --audio, --headless, --control, --profile, --key, --snapshot,
// --snapshot-every, --record-mix, --record, --speaker, --audio-processing and -v to `app`,
// writing into `args`.
void add_call_options(CLI::App& app, CallArgs& args);

// meshcalld's command line for `args` (without the program name): --room first, then each
// option that was given.
std::vector<std::string> call_argv(const CallArgs& args);

}  // namespace meshcall
