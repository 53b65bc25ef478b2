// The doctest main shared by every test binary: runs the cases, then fails the run if a child
// process (meshcalld, the meshcall CLI) wrote a sanitizer report.
//
// The children's stderr goes to their own log files, and most of them end by SIGKILL when their
// Daemon or Process goes away, so neither the test's output nor an exit status would show a
// report: a data race TSan found in meshcalld, or an ASan/UBSan error, would pass unseen. So
// every sanitizer's options get a log_path in a private directory before any child starts
// (children inherit the environment; this process parsed its own options at start-up and keeps
// reporting on stderr). A report there is printed and fails the test. Uninstrumented children
// ignore the variables.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/process.hpp"

namespace {

// Points each sanitizer's reports from child processes at `dir`/report.<pid>.
void send_child_reports_to(const std::string& dir) {
    for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
        const char* old = std::getenv(name);
        std::string value = old && *old ? std::string(old) + ":" : std::string();
        setenv(name, (value + "log_path=" + dir + "/report").c_str(), 1);
    }
}

// Prints every report in `dir`; returns how many there were.
int print_child_reports(const std::string& dir) {
    int reports = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        ++reports;
        std::printf("A child process wrote a sanitizer report (%s):\n%s\n",
                    entry.path().filename().c_str(),
                    meshcall::test::read_file(entry.path().string()).c_str());
    }
    std::fflush(stdout);
    return reports;
}

}  // namespace

int main(int argc, char** argv) {
    const meshcall::test::TempDir reports;
    send_child_reports_to(reports.path());
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result;
    if (print_child_reports(reports.path()) > 0) {
        std::printf("FAILED: sanitizer reports from child processes (above)\n");
        return result != 0 ? result : 1;
    }
    return result;
}
