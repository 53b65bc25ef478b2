// control_fuzz: libFuzzer target for the control-socket request parser
// (protocol/control_message.cpp).
//
// The input is one request line as the control server hands it over (without its '\n').
// parse_control_request never throws; a request it accepts must format
// (format_control_request) as one line that parses back to the same request; the error reply
// for one it refuses must be one line of JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/control_message.hpp"

namespace {

using namespace meshcall;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "control_fuzz: %s %s\n", what, detail.c_str());
    std::abort();
}

bool same(const ControlRequest& a, const ControlRequest& b) {
    if (a.index() != b.index()) return false;
    if (auto* x = std::get_if<StatusRequest>(&a))
        return x->histogram == std::get<StatusRequest>(b).histogram;
    if (auto* x = std::get_if<MuteRequest>(&a)) {
        const auto& y = std::get<MuteRequest>(b);
        return x->what == y.what && x->mute == y.mute;
    }
    if (auto* x = std::get_if<SnapshotRequest>(&a))
        return x->path == std::get<SnapshotRequest>(b).path;
    return true;  // LeaveRequest
}

// One line, ending in '\n' and containing no other.
void check_line(const std::string& line, const char* what) {
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1)
        fail(what, "is not one line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const ParsedRequest parsed = parse_control_request(line);
    if (!parsed.ok) {
        if (parsed.error.empty()) fail("refused without an error");
        const std::string reply = error_reply(parsed.error);
        check_line(reply, "error reply");
        const auto j = nlohmann::json::parse(reply, nullptr, false);
        if (j.is_discarded() || !j.is_object() || j.value("ok", true)) fail("error reply", reply);
        return 0;
    }
    if (size > kMaxControlLine) fail("accepted a line over the limit");
    const std::string formatted = format_control_request(parsed.request);
    check_line(formatted, "formatted request");
    const ParsedRequest again =
        parse_control_request(std::string_view(formatted).substr(0, formatted.size() - 1));
    if (!again.ok) fail("formatted request does not parse:", formatted + " " + again.error);
    if (!same(parsed.request, again.request)) fail("round trip changed the request:", formatted);
    if (format_control_request(again.request) != formatted)
        fail("formatting is not stable", formatted);
    check_line(ok_reply(), "ok reply");
    return 0;
}
