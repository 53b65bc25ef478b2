// Control-socket messages: parsing and formatting.
#include "protocol/control_message.hpp"

namespace meshcall {

const char* to_string(MuteTarget what) {
    switch (what) {
        case MuteTarget::audio:
            return "audio";
        case MuteTarget::video:
            return "video";
        case MuteTarget::all:
            return "all";
    }
    return "all";
}

namespace {

using nlohmann::json;

// "" when `j` has no key but `keys`, else the error for the first other one.
std::string only_keys(const json& j, const std::string& cmd,
                      std::initializer_list<const char*> keys) {
    for (const auto& [key, value] : j.items()) {
        bool known = false;
        for (const char* k : keys) known = known || key == k;
        if (!known) return "unknown key \"" + key + "\" for \"" + cmd + "\"";
    }
    return {};
}

// Each fills `out.request` or `out.error`.
void parse_status(const json& j, ParsedRequest& out) {
    if ((out.error = only_keys(j, "status", {"cmd", "histogram"})) != "") return;
    StatusRequest st;
    if (auto h = j.find("histogram"); h != j.end()) {
        if (!h->is_boolean()) {
            out.error = "\"histogram\" must be true or false";
            return;
        }
        st.histogram = h->get<bool>();
    }
    out.request = st;
}

void parse_mute(const json& j, const std::string& cmd, ParsedRequest& out) {
    if ((out.error = only_keys(j, cmd, {"cmd", "what"})) != "") return;
    MuteRequest m;
    m.mute = cmd == "mute";
    if (auto w = j.find("what"); w != j.end()) {
        const std::string what = w->is_string() ? w->get<std::string>() : "";
        if (what == "audio") {
            m.what = MuteTarget::audio;
        } else if (what == "video") {
            m.what = MuteTarget::video;
        } else if (what == "all") {
            m.what = MuteTarget::all;
        } else {
            out.error = "\"what\" must be \"audio\", \"video\" or \"all\"";
            return;
        }
    }
    out.request = m;
}

void parse_snapshot(const json& j, ParsedRequest& out) {
    if ((out.error = only_keys(j, "snapshot", {"cmd", "path"})) != "") return;
    auto p = j.find("path");
    if (p == j.end() || !p->is_string() || p->get<std::string>().empty() ||
        p->get<std::string>().find('\0') != std::string::npos) {
        out.error = "\"path\" must be a non-empty string without NUL characters";
        return;
    }
    out.request = SnapshotRequest{p->get<std::string>()};
}

void parse_focus(const json& j, ParsedRequest& out) {
    if ((out.error = only_keys(j, "focus", {"cmd", "peer"})) != "") return;
    auto p = j.find("peer");
    if (p == j.end() || p->is_null()) {
        out.request = FocusRequest{};
        return;
    }
    if (!p->is_string() || p->get<std::string>().empty() || p->get<std::string>().size() > 64) {
        out.error = "\"peer\" must be a participant's name, or null for the grid";
        return;
    }
    out.request = FocusRequest{p->get<std::string>()};
}

void parse_record(const json& j, ParsedRequest& out) {
    if ((out.error = only_keys(j, "record", {"cmd", "dir", "stop"})) != "") return;
    RecordRequest r;
    if (auto s = j.find("stop"); s != j.end()) {
        if (!s->is_boolean()) {
            out.error = "\"stop\" must be true or false";
            return;
        }
        r.stop = s->get<bool>();
    }
    auto d = j.find("dir");
    if (r.stop) {
        if (d != j.end())
            out.error = "give \"dir\" to start recording or \"stop\", not both";
        else
            out.request = r;
        return;
    }
    if (d == j.end() || !d->is_string() || d->get<std::string>().empty() ||
        d->get<std::string>().front() != '/' || d->get<std::string>().size() > 4096 ||
        d->get<std::string>().find('\0') != std::string::npos) {
        out.error = "\"dir\" must be an absolute path (or \"stop\": true)";
        return;
    }
    r.dir = d->get<std::string>();
    out.request = r;
}

}  // namespace

ParsedRequest parse_control_request(std::string_view line) {
    ParsedRequest out;
    if (line.size() > kMaxControlLine) {
        out.error = "request longer than 64 KiB";
        return out;
    }
    // The JSON parser stops at a NUL byte; a request must not hide anything behind one.
    if (line.find('\0') != std::string_view::npos) {
        out.error = "request contains a NUL byte";
        return out;
    }
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        out.error = "not a JSON object";
        return out;
    }
    auto cmd_it = j.find("cmd");
    if (cmd_it == j.end() || !cmd_it->is_string()) {
        out.error = "\"cmd\" is missing or not a string";
        return out;
    }
    const std::string cmd = cmd_it->get<std::string>();
    if (cmd == "status") {
        parse_status(j, out);
    } else if (cmd == "mute" || cmd == "unmute") {
        parse_mute(j, cmd, out);
    } else if (cmd == "leave") {
        if ((out.error = only_keys(j, cmd, {"cmd"})) == "") out.request = LeaveRequest{};
    } else if (cmd == "snapshot") {
        parse_snapshot(j, out);
    } else if (cmd == "focus") {
        parse_focus(j, out);
    } else if (cmd == "record") {
        parse_record(j, out);
    } else {
        out.error = "unknown command \"" + cmd +
                    "\" (status, mute, unmute, leave, snapshot, focus, record)";
    }
    out.ok = out.error.empty();
    return out;
}

std::string format_control_request(const ControlRequest& request) {
    nlohmann::json j;
    if (auto* st = std::get_if<StatusRequest>(&request)) {
        j["cmd"] = "status";
        if (st->histogram) j["histogram"] = true;
    } else if (auto* m = std::get_if<MuteRequest>(&request)) {
        j["cmd"] = m->mute ? "mute" : "unmute";
        j["what"] = to_string(m->what);
    } else if (std::holds_alternative<LeaveRequest>(request)) {
        j["cmd"] = "leave";
    } else if (auto* s = std::get_if<SnapshotRequest>(&request)) {
        j["cmd"] = "snapshot";
        j["path"] = s->path;
    } else if (auto* f = std::get_if<FocusRequest>(&request)) {
        j["cmd"] = "focus";
        j["peer"] = f->peer.empty() ? nlohmann::json(nullptr) : nlohmann::json(f->peer);
    } else if (auto* r = std::get_if<RecordRequest>(&request)) {
        j["cmd"] = "record";
        if (r->stop)
            j["stop"] = true;
        else
            j["dir"] = r->dir;
    }
    return j.dump() + "\n";
}

std::string error_reply(const std::string& error) {
    nlohmann::json j{{"ok", false}, {"error", error}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string ok_reply(nlohmann::json fields) {
    nlohmann::json j{{"ok", true}};
    j.update(fields);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace meshcall
