// join: exec meshcalld with the same call options.
#include "client/join.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "client/child_process.hpp"
#include "config/call_args.hpp"
#include "protocol/exit_codes.hpp"

namespace meshcall {

int run_join(const CallArgs& args) {
    const std::string meshcalld = find_meshcalld();
    std::vector<std::string> argv = call_argv(args);
    argv.insert(argv.begin(), meshcalld);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execvp(raw[0], raw.data());
    std::fprintf(stderr, "meshcall: cannot run %s: %s (is meshcall installed completely?)\n",
                 meshcalld.c_str(), std::strerror(errno));
    return kExitFailure;
}

}  // namespace meshcall
