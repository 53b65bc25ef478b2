// meshcalld: one participant of a meshcall call.
#include <CLI/CLI.hpp>

#include "config/call_args.hpp"
#include "daemon/run_call.hpp"

#ifndef MESHCALL_VERSION
#define MESHCALL_VERSION "0"
#endif

int main(int argc, char** argv) {
    meshcall::CallArgs args;
    CLI::App app{
        "meshcalld: join a meshcall video call (one participant).\n"
        "Sends your camera and microphone to every peer of the room file and receives theirs.\n\n"
        "Exit status: 0 left normally, 1 runtime failure (port taken, device missing,\n"
        "room already joined), 2 usage or configuration error.",
        "meshcalld"};
    app.set_version_flag("--version", "meshcalld " MESHCALL_VERSION);
    app.add_option("--room", args.room_path, "The room file (JSON)")
        ->required()
        ->check(CLI::ExistingFile);
    meshcall::add_call_options(app, args);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : meshcall::kExitUsage;
    }
    return meshcall::run_call(args);
}
