// Tests daemon/util/thread_entry: a thread's exception is logged and handed to the failure
// handler with the thread's role; a body that returns calls nothing.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "daemon/util/thread_entry.hpp"

using namespace meshcall;

TEST_CASE("run_thread hands an escaping exception to the failure handler, and nothing else") {
    int calls = 0;
    std::string role, what;
    set_thread_failure_handler([&](const std::string& r, const std::string& w) {
        ++calls;
        role = r;
        what = w;
    });
    std::thread ok([] { run_thread("quiet", [] {}); });
    ok.join();
    CHECK(calls == 0);
    std::thread bad([] { run_thread("recv:bob", [] { throw std::runtime_error("bad frame"); }); });
    bad.join();  // the thread ended normally: no std::terminate
    CHECK(calls == 1);
    CHECK(role == "recv:bob");
    CHECK(what == "bad frame");
    set_thread_failure_handler(nullptr);
}
