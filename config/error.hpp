// ConfigError: a configuration problem, already worded for the user ("file: field: problem").
#pragma once

#include <stdexcept>
#include <string>

namespace meshcall {

// Thrown only while loading configuration and starting up; callers print what() and exit 2.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace meshcall
