// RecordNames: stems, takes and file names of a recording.
#include "daemon/record/record_names.hpp"

#include <unistd.h>

#include <algorithm>

namespace meshcall {

std::string record_stem(const std::string& name) {
    std::string s;
    for (char c : name.substr(0, 64)) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        s += keep ? c : '_';
    }
    if (s.empty() || s == "." || s == "..") s = "_" + s;
    return s;
}

std::vector<std::string> record_stems(const std::vector<std::string>& names) {
    std::vector<std::string> stems;
    for (const auto& name : names) {
        const std::string base = record_stem(name);
        std::string stem = base;
        for (int n = 2; std::find(stems.begin(), stems.end(), stem) != stems.end(); ++n)
            stem = base + "_" + std::to_string(n);
        stems.push_back(stem);
    }
    return stems;
}

std::string record_file_name(const std::string& stem, int take, const std::string& extension) {
    return take <= 1 ? stem + extension : stem + "-" + std::to_string(take) + extension;
}

int first_free_take(const std::string& dir, const std::vector<std::string>& stems) {
    auto exists = [&](const std::string& file) {
        return access((dir + "/" + file).c_str(), F_OK) == 0;
    };
    for (int take = 1;; ++take) {
        bool free = !exists(record_file_name("mix", take, ".wav"));
        for (const auto& stem : stems) free = free && !exists(record_file_name(stem, take, ".ts"));
        if (free) return take;
    }
}

}  // namespace meshcall
