// ShellQuote: an argv as one line a person pastes into a shell (POSIX sh, or Windows cmd).
#pragma once

#include <string>
#include <vector>

namespace meshcall {

// Each argument single-quoted where the shell would otherwise change it (POSIX sh, bash, zsh).
std::string posix_command_line(const std::vector<std::string>& argv);

// Each argument with spaces or cmd's special characters in double quotes (Windows cmd.exe and
// PowerShell; our arguments never contain a double quote).
std::string windows_command_line(const std::vector<std::string>& argv);

}  // namespace meshcall
