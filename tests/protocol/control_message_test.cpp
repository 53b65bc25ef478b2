// Tests protocol/control_message: control-socket request parsing, formatting and replies.
#include "protocol/control_message.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

using meshcall::ControlRequest;
using meshcall::LeaveRequest;
using meshcall::MuteRequest;
using meshcall::MuteTarget;
using meshcall::ParsedRequest;
using meshcall::SnapshotRequest;
using meshcall::StatusRequest;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

ParsedRequest parse(std::string_view line) {
    return meshcall::parse_control_request(line);
}

// Parses a line that must be rejected; returns the error.
std::string rejected(std::string_view line) {
    const ParsedRequest r = parse(line);
    CHECK_MESSAGE(!r.ok, "accepted: ", std::string(line.substr(0, 200)));
    CHECK(!r.error.empty());
    return r.error;
}

// A reply must be one line: a single '\n', at the end.
void check_one_line(const std::string& reply) {
    REQUIRE(!reply.empty());
    CHECK(reply.back() == '\n');
    CHECK(reply.find('\n') == reply.size() - 1);
}

}  // namespace

// ---- requests that parse ----------------------------------------------------------------------

TEST_CASE("control: status") {
    const ParsedRequest r = parse(R"({"cmd":"status"})");
    REQUIRE(r.ok);
    CHECK(std::holds_alternative<StatusRequest>(r.request));
    CHECK(r.error.empty());
}

TEST_CASE("control: mute without \"what\" mutes everything") {
    const ParsedRequest r = parse(R"({"cmd":"mute"})");
    REQUIRE(r.ok);
    const auto* m = std::get_if<MuteRequest>(&r.request);
    REQUIRE(m);
    CHECK(m->mute);
    CHECK(m->what == MuteTarget::all);
}

TEST_CASE("control: mute and unmute of audio, video and all") {
    struct Case {
        const char* line;
        bool mute;
        MuteTarget what;
    };
    const Case cases[] = {
        {R"({"cmd":"mute","what":"audio"})", true, MuteTarget::audio},
        {R"({"cmd":"mute","what":"video"})", true, MuteTarget::video},
        {R"({"cmd":"mute","what":"all"})", true, MuteTarget::all},
        {R"({"what":"audio","cmd":"unmute"})", false, MuteTarget::audio},
        {R"({"cmd":"unmute","what":"video"})", false, MuteTarget::video},
        {R"({"cmd":"unmute"})", false, MuteTarget::all},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        const ParsedRequest r = parse(c.line);
        REQUIRE(r.ok);
        const auto* m = std::get_if<MuteRequest>(&r.request);
        REQUIRE(m);
        CHECK(m->mute == c.mute);
        CHECK(m->what == c.what);
    }
}

TEST_CASE("control: leave") {
    const ParsedRequest r = parse(R"({"cmd":"leave"})");
    REQUIRE(r.ok);
    CHECK(std::holds_alternative<LeaveRequest>(r.request));
}

TEST_CASE("control: snapshot with a path") {
    const ParsedRequest r = parse(R"({"cmd":"snapshot","path":"/tmp/shot dir/a.png"})");
    REQUIRE(r.ok);
    const auto* s = std::get_if<SnapshotRequest>(&r.request);
    REQUIRE(s);
    CHECK(s->path == "/tmp/shot dir/a.png");
}

TEST_CASE("control: whitespace and a trailing carriage return are accepted") {
    CHECK(parse("  { \"cmd\" : \"status\" }  ").ok);
    CHECK(parse("{\"cmd\":\"status\"}\r").ok);
}

TEST_CASE("control: a request of exactly 64 KiB is accepted") {
    const std::string head = R"({"cmd":"snapshot","path":")";
    const std::string tail = R"("})";
    std::string line =
        head + std::string(meshcall::kMaxControlLine - head.size() - tail.size(), 'p') + tail;
    REQUIRE(line.size() == meshcall::kMaxControlLine);
    const ParsedRequest r = parse(line);
    REQUIRE(r.ok);
    CHECK(std::get<SnapshotRequest>(r.request).path.size() ==
          meshcall::kMaxControlLine - head.size() - tail.size());
}

// ---- requests that are rejected ---------------------------------------------------------------

TEST_CASE("control error: not JSON") {
    CHECK(contains(rejected("status"), "JSON"));
    CHECK(contains(rejected(R"({"cmd":"status")"), "JSON"));
    CHECK(contains(rejected(""), "JSON"));
    CHECK(contains(rejected("\xff\xfe{}"), "JSON"));
}

TEST_CASE("control error: JSON that is not an object") {
    CHECK(contains(rejected(R"(["status"])"), "not a JSON object"));
    CHECK(contains(rejected(R"("status")"), "not a JSON object"));
    CHECK(contains(rejected("42"), "not a JSON object"));
    CHECK(contains(rejected("null"), "not a JSON object"));
}

TEST_CASE("control error: cmd missing or not a string") {
    CHECK(contains(rejected("{}"), "\"cmd\" is missing or not a string"));
    CHECK(contains(rejected(R"({"command":"status"})"), "\"cmd\""));
    CHECK(contains(rejected(R"({"cmd":1})"), "\"cmd\" is missing or not a string"));
    CHECK(contains(rejected(R"({"cmd":null})"), "\"cmd\""));
}

TEST_CASE("control error: an unknown command lists the known ones") {
    const std::string e = rejected(R"({"cmd":"dance"})");
    CHECK(contains(e, "unknown command \"dance\""));
    CHECK(contains(e, "status"));
    CHECK(contains(e, "snapshot"));
    CHECK(contains(rejected(R"({"cmd":"STATUS"})"), "unknown command"));
}

TEST_CASE("control error: unknown keys for each command") {
    CHECK(contains(rejected(R"({"cmd":"status","verbose":true})"),
                   "unknown key \"verbose\" for \"status\""));
    CHECK(contains(rejected(R"({"cmd":"mute","what":"audio","for":5})"),
                   "unknown key \"for\" for \"mute\""));
    CHECK(contains(rejected(R"({"cmd":"leave","path":"/tmp/x"})"),
                   "unknown key \"path\" for \"leave\""));
    CHECK(contains(rejected(R"({"cmd":"snapshot","path":"/tmp/x","what":"all"})"),
                   "unknown key \"what\" for \"snapshot\""));
}

TEST_CASE("control error: a bad \"what\"") {
    CHECK(contains(rejected(R"({"cmd":"mute","what":"both"})"),
                   "\"what\" must be \"audio\", \"video\" or \"all\""));
    CHECK(contains(rejected(R"({"cmd":"unmute","what":"Audio"})"), "\"what\""));
    CHECK(contains(rejected(R"({"cmd":"mute","what":1})"), "\"what\""));
    CHECK(contains(rejected(R"({"cmd":"mute","what":""})"), "\"what\""));
    CHECK(contains(rejected(R"({"cmd":"mute","what":null})"), "\"what\""));
}

TEST_CASE("control error: snapshot without a usable path") {
    CHECK(contains(rejected(R"({"cmd":"snapshot"})"), "\"path\" must be a non-empty string"));
    CHECK(contains(rejected(R"({"cmd":"snapshot","path":""})"), "\"path\""));
    CHECK(contains(rejected(R"({"cmd":"snapshot","path":7})"), "\"path\""));
}

TEST_CASE("control error: a line over 64 KiB") {
    const std::string head = R"({"cmd":"snapshot","path":")";
    const std::string tail = R"("})";
    const std::string line =
        head + std::string(meshcall::kMaxControlLine + 1 - head.size() - tail.size(), 'p') + tail;
    REQUIRE(line.size() == meshcall::kMaxControlLine + 1);
    CHECK(contains(rejected(line), "64 KiB"));
    CHECK(contains(rejected(std::string(1 << 20, ' ')), "64 KiB"));
}

TEST_CASE("control error: an embedded NUL byte inside or before the JSON") {
    using namespace std::string_literals;
    rejected("{\"cmd\":\"sta\0tus\"}"s);
    rejected("{\"cmd\":\"snapshot\",\"path\":\"/tmp/a\0b\"}"s);
    rejected("\0{\"cmd\":\"status\"}"s);
    rejected("{\"cmd\":\0\"status\"}"s);
}

// nlohmann's lexer takes a NUL byte for the end of the input: without its own check the parser
// would read {"cmd":"status"}\0{"cmd":"leave"} as a plain status request.
TEST_CASE("control error: an embedded NUL byte after the JSON") {
    using namespace std::string_literals;
    rejected("{\"cmd\":\"status\"}\0"s);
    rejected("{\"cmd\":\"status\"}\0{\"cmd\":\"leave\"}"s);
}

// ---- formatting and replies -------------------------------------------------------------------

TEST_CASE("control: format_control_request round-trips every request") {
    const ControlRequest requests[] = {
        StatusRequest{},
        MuteRequest{MuteTarget::audio, true},
        MuteRequest{MuteTarget::video, true},
        MuteRequest{MuteTarget::all, true},
        MuteRequest{MuteTarget::audio, false},
        MuteRequest{MuteTarget::all, false},
        LeaveRequest{},
        SnapshotRequest{"/tmp/snap \"quoted\"\n\xc3\xa9.png"},
    };
    for (const auto& req : requests) {
        const std::string line = meshcall::format_control_request(req);
        INFO(line);
        check_one_line(line);
        const ParsedRequest r = parse(std::string_view(line).substr(0, line.size() - 1));
        REQUIRE(r.ok);
        REQUIRE(r.request.index() == req.index());
        if (const auto* m = std::get_if<MuteRequest>(&req)) {
            CHECK(std::get<MuteRequest>(r.request).mute == m->mute);
            CHECK(std::get<MuteRequest>(r.request).what == m->what);
        }
        if (const auto* s = std::get_if<SnapshotRequest>(&req))
            CHECK(std::get<SnapshotRequest>(r.request).path == s->path);
    }
}

TEST_CASE("control: format_control_request writes the documented JSON") {
    CHECK(json::parse(meshcall::format_control_request(StatusRequest{})) ==
          json{{"cmd", "status"}});
    CHECK(json::parse(meshcall::format_control_request(MuteRequest{MuteTarget::video, false})) ==
          json{{"cmd", "unmute"}, {"what", "video"}});
    CHECK(json::parse(meshcall::format_control_request(LeaveRequest{})) == json{{"cmd", "leave"}});
}

TEST_CASE("control: error_reply is one line that parses back") {
    const std::string reply = meshcall::error_reply("unknown command \"x\"\nsecond line");
    check_one_line(reply);
    const json j = json::parse(reply);
    CHECK(j["ok"] == false);
    CHECK(j["error"] == "unknown command \"x\"\nsecond line");
}

TEST_CASE("control: error_reply with invalid UTF-8 is still one line of valid JSON") {
    const std::string reply = meshcall::error_reply("bad bytes \xff\xfe here");
    check_one_line(reply);
    json j;
    CHECK_NOTHROW(j = json::parse(reply));
    CHECK(j["ok"] == false);
    CHECK(contains(j["error"].get<std::string>(), "bad bytes"));
}

TEST_CASE("control: ok_reply adds ok:true to the fields, on one line") {
    const std::string empty = meshcall::ok_reply();
    check_one_line(empty);
    CHECK(json::parse(empty) == json{{"ok", true}});

    json fields = {{"room", "standup"},
                   {"peers", json::array({{{"name", "bob"}, {"state", "up"}}})},
                   {"note", "two\nlines"}};
    const std::string reply = meshcall::ok_reply(fields);
    check_one_line(reply);
    const json j = json::parse(reply);
    CHECK(j["ok"] == true);
    CHECK(j["room"] == "standup");
    CHECK(j["peers"][0]["name"] == "bob");
    CHECK(j["note"] == "two\nlines");
}

TEST_CASE("control: to_string of the mute targets") {
    CHECK(std::string(meshcall::to_string(MuteTarget::audio)) == "audio");
    CHECK(std::string(meshcall::to_string(MuteTarget::video)) == "video");
    CHECK(std::string(meshcall::to_string(MuteTarget::all)) == "all");
}

TEST_CASE("control: record into a directory, and stop") {
    const ParsedRequest start = parse(R"({"cmd":"record","dir":"/home/a/rec"})");
    REQUIRE(start.ok);
    const auto* r = std::get_if<meshcall::RecordRequest>(&start.request);
    REQUIRE(r);
    CHECK(r->dir == "/home/a/rec");
    CHECK(!r->stop);
    const ParsedRequest stop = parse(R"({"cmd":"record","stop":true})");
    REQUIRE(stop.ok);
    CHECK(std::get<meshcall::RecordRequest>(stop.request).stop);
    CHECK(json::parse(meshcall::format_control_request(meshcall::RecordRequest{"/x y", false})) ==
          json{{"cmd", "record"}, {"dir", "/x y"}});
    CHECK(json::parse(meshcall::format_control_request(meshcall::RecordRequest{{}, true})) ==
          json{{"cmd", "record"}, {"stop", true}});
}

TEST_CASE("control error: a record request needs an absolute dir or stop, not both") {
    CHECK(contains(rejected(R"({"cmd":"record"})"), "absolute path"));
    CHECK(contains(rejected(R"({"cmd":"record","dir":"rel/dir"})"), "absolute path"));
    CHECK(contains(rejected(R"({"cmd":"record","dir":""})"), "absolute path"));
    CHECK(contains(rejected(R"({"cmd":"record","dir":7})"), "absolute path"));
    CHECK(contains(rejected(R"({"cmd":"record","stop":"yes"})"), "true or false"));
    CHECK(contains(rejected(R"({"cmd":"record","stop":true,"dir":"/a"})"), "not both"));
    CHECK(contains(rejected(R"({"cmd":"record","dir":"/a","x":1})"), "unknown key \"x\""));
    CHECK(contains(rejected(R"({"cmd":"dance"})"), "record"));
}
