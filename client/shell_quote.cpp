// ShellQuote: quoting for printed commands.
#include "client/shell_quote.hpp"

namespace meshcall {

namespace {

std::string posix_quote(const std::string& arg) {
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./:=+,@%") == std::string::npos;
    if (plain) return arg;
    std::string q = "'";
    for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string windows_quote(const std::string& arg) {
    if (!arg.empty() && arg.find_first_of(" \t&|<>^()%!;,=\"[]") == std::string::npos) return arg;
    return "\"" + arg + "\"";
}

}  // namespace

std::string posix_command_line(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + posix_quote(a);
    return line;
}

std::string windows_command_line(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + windows_quote(a);
    return line;
}

}  // namespace meshcall
