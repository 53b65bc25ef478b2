// ThreadEntry: how every thread of meshcalld begins and ends. run_thread() names the thread (its
// role in log lines) and runs its body; an exception that escapes the body is logged once and
// handed to the process's failure handler, which the session sets to "leave the call cleanly,
// exit 1" (peers see `left`, systemd sees STOPPING=1) -- instead of std::terminate, which says
// goodbye to no one. libuv callbacks have the same rule through loop/loop_failure.hpp.
// set_thread_failure_handler: once, on main, before any thread starts; run_thread: any thread.
#pragma once

#include <functional>
#include <string>

namespace meshcall {

using ThreadFailureHandler = std::function<void(const std::string& role, const std::string& what)>;

void set_thread_failure_handler(ThreadFailureHandler handler);

void run_thread(const std::string& role, const std::function<void()>& body) noexcept;

}  // namespace meshcall
