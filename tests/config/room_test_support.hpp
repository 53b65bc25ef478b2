// Shared by the room-file tests: a good room to break, and the error text of a bad one.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/error.hpp"
#include "config/room.hpp"

namespace room_test {

using meshcall::ConfigError;
using nlohmann::json;

inline const std::string kLabel = "standup.json";

// A valid three-person room on loopback; each case breaks one thing.
inline json good_room() {
    return json{{"room", "standup"},
                {"peers",
                 {{{"name", "alice"}, {"host", "127.0.0.1"}, {"port", 41310}},
                  {{"name", "bob"}, {"host", "127.0.0.1"}, {"port", 41311}},
                  {{"name", "carol"}, {"host", "127.0.0.1"}, {"port", 41312}}}}};
}

inline json peer(const std::string& name, const std::string& host, int port) {
    return json{{"name", name}, {"host", host}, {"port", port}};
}

// The error text parse_room gives for `text`, or "" if it accepted it.
inline std::string room_error(const std::string& text) {
    try {
        (void)meshcall::parse_room(text, kLabel);
    } catch (const ConfigError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not a ConfigError: ") + e.what();
    }
    return "";
}
inline std::string room_error(const json& doc) {
    return room_error(doc.dump(2));
}

inline std::string load_error(const std::string& path) {
    try {
        (void)meshcall::load_room(path);
    } catch (const ConfigError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not a ConfigError: ") + e.what();
    }
    return "";
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Checks that `error` is "standup.json: <path>: <problem...>".
inline void check_error(const std::string& error, const std::string& path,
                        const std::string& problem) {
    INFO("error text: ", error);
    CHECK(contains(error, kLabel + ": " + path + ": "));
    CHECK(contains(error, problem));
    CHECK(!contains(error, "not a ConfigError"));
}

}  // namespace room_test
