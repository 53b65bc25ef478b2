// JsonReader: field-by-field access to a JSON object with precise error messages.
#include "config/json_reader.hpp"

#include <fstream>
#include <sstream>

#include "config/error.hpp"

namespace meshcall {

namespace {
constexpr std::size_t kMaxFileBytes = 1024 * 1024;
}

std::string file_label(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string read_config_file(const std::string& path, const std::string& label) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(label + ": cannot open the file");
    std::string text;
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxFileBytes)
            throw ConfigError(label + ": the file is larger than 1 MiB; this is not a room file");
    }
    if (in.bad()) throw ConfigError(label + ": cannot read the file");
    return text;
}

nlohmann::json parse_json_text(const std::string& text, const std::string& label) {
    if (text.size() > kMaxFileBytes) throw ConfigError(label + ": the text is larger than 1 MiB");
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw ConfigError(label + ": the file is empty; expected a JSON object");
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is 1-based; give a line and column a person can find.
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::ostringstream msg;
        msg << label << ": not valid JSON (line " << line << ", column " << column << ")";
        throw ConfigError(msg.str());
    } catch (const nlohmann::json::exception&) {
        // Parsing can also fail outside the grammar: a number too large for a double (1e400).
        throw ConfigError(label + ": not valid JSON (a number out of range)");
    }
}

JsonReader::JsonReader(const nlohmann::json& object, std::string label, std::string path)
    : object_(object), label_(std::move(label)), path_(std::move(path)) {
    if (!object_.is_object())
        fail(path_.empty() ? "(top level)" : path_,
             "must be a JSON object, not " + json_type_name(object_));
}

std::string JsonReader::path_of(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

void JsonReader::fail(const std::string& field_path, const std::string& problem) const {
    throw ConfigError(label_ + ": " + field_path + ": " + problem);
}

bool JsonReader::has(const std::string& key) const {
    return object_.contains(key);
}

const nlohmann::json& JsonReader::require(const std::string& key) {
    seen_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end()) fail(path_of(key), "is missing");
    return *it;
}

std::string JsonReader::get_string(const std::string& key) {
    const auto& v = require(key);
    if (!v.is_string()) fail(path_of(key), "must be a string, not " + json_type_name(v));
    return v.get<std::string>();
}

bool JsonReader::get_bool(const std::string& key) {
    const auto& v = require(key);
    if (!v.is_boolean()) fail(path_of(key), "must be true or false, not " + json_type_name(v));
    return v.get<bool>();
}

int64_t JsonReader::get_int(const std::string& key, int64_t min, int64_t max, const char* what) {
    const auto& v = require(key);
    if (!v.is_number_integer())
        fail(path_of(key), "must be a whole number, not " + json_type_name(v));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail(path_of(key), v.dump() + " is not " + what + " (" + std::to_string(min) + "-" +
                               std::to_string(max) + ")");
    const int64_t n = v.get<int64_t>();
    if (n < min || n > max)
        fail(path_of(key), std::to_string(n) + " is not " + what + " (" + std::to_string(min) +
                               "-" + std::to_string(max) + ")");
    return n;
}

const nlohmann::json& JsonReader::get_array(const std::string& key) {
    const auto& v = require(key);
    if (!v.is_array()) fail(path_of(key), "must be an array, not " + json_type_name(v));
    return v;
}

const nlohmann::json& JsonReader::get_object(const std::string& key) {
    const auto& v = require(key);
    if (!v.is_object()) fail(path_of(key), "must be an object, not " + json_type_name(v));
    return v;
}

void JsonReader::finish() const {
    for (const auto& [key, value] : object_.items()) {
        if (!seen_.contains(key)) fail(path_of(key), "unknown key (misspelt?)");
    }
}

bool is_valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (unsigned char c : name) {
        if (!(std::isalnum(c) && c < 128) && c != '-' && c != '_') return false;
    }
    return true;
}

const char* name_rule() {
    return "use 1-64 letters, digits, '-' or '_'";
}

std::string json_type_name(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
            return "null";
        case nlohmann::json::value_t::boolean:
            return "a boolean";
        case nlohmann::json::value_t::string:
            return "a string";
        case nlohmann::json::value_t::array:
            return "an array";
        case nlohmann::json::value_t::object:
            return "an object";
        case nlohmann::json::value_t::number_float:
            return "a fractional number";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
            return "a number";
        default:
            return "an unsupported value";
    }
}

}  // namespace meshcall
