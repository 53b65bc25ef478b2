// Cli: how the benchmark tools parse their command lines: CLI11, like meshcalld and meshcall,
// with the same exit status 2 for a usage error (CLI11's own codes start at 100).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

namespace meshcall::bench {

// Parses; returns the exit status to leave with (0 after --help, 2 on a usage error), or nullopt
// to go on.
inline std::optional<int> parse_cli(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return std::nullopt;
}

}  // namespace meshcall::bench
