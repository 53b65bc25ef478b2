// JsonReader: reads a JSON object field by field, naming file and JSON path in every error.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace meshcall {

// Reads a whole file of at most 1 MiB. Throws ConfigError naming the file.
std::string read_config_file(const std::string& path, const std::string& label);
// Parses JSON text; an empty or malformed text is a ConfigError naming line and column.
nlohmann::json parse_json_text(const std::string& text, const std::string& label);
// The last component of a path, used as the file's label in messages.
std::string file_label(const std::string& path);

// Wraps one JSON object. Each get_* names the field; finish() rejects keys nobody asked for.
class JsonReader {
  public:
    // label: the file's name in messages; path: JSON path of this object ("" for the root).
    JsonReader(const nlohmann::json& object, std::string label, std::string path);

    bool has(const std::string& key) const;
    std::string get_string(const std::string& key);
    bool get_bool(const std::string& key);  // a JSON true or false, nothing else
    int64_t get_int(const std::string& key, int64_t min, int64_t max, const char* what);
    const nlohmann::json& get_array(const std::string& key);
    const nlohmann::json& get_object(const std::string& key);

    std::string path_of(const std::string& key) const;
    [[noreturn]] void fail(const std::string& field_path, const std::string& problem) const;
    const std::string& label() const { return label_; }

    // Throws on the first key that was never read.
    void finish() const;

  private:
    const nlohmann::json& require(const std::string& key);

    const nlohmann::json& object_;
    std::string label_;
    std::string path_;
    std::set<std::string> seen_;
};

// Names used for rooms and participants: letters, digits, '-', '_', 1-64 characters.
bool is_valid_name(const std::string& name);
const char* name_rule();

// "a string", "a number", ... for error messages.
std::string json_type_name(const nlohmann::json& value);

}  // namespace meshcall
