// run_call: a call from its arguments to its exit status.
#include "daemon/run_call.hpp"

#include <malloc.h>

#include <csignal>
#include <cstdio>

#include "config/error.hpp"
#include "daemon/call_session.hpp"
#include "daemon/loop/control_server.hpp"
#include "daemon/util/log.hpp"

namespace meshcall {

int run_call(const CallArgs& args) {
    CallConfig config;
    try {
        config = resolve_call_config(args);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    }
    init_logging(config.verbosity);
    // A control client that goes away mid-reply must not kill the call.
    std::signal(SIGPIPE, SIG_IGN);
    // glibc would hand the heap back to the kernel after every frame and fault it in again
    // (measured: this doubled x264's CPU, docs/benchmarks.md). Keep it.
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
    try {
        CallSession session(config);
        return session.run();
    } catch (const ControlServer::AlreadyRunning& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitFailure;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "meshcall: %s\n", e.what());
        return kExitFailure;
    }
}

}  // namespace meshcall
