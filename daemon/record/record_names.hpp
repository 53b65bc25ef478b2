// RecordNames: the names of a recording's files: DIR/NAME.ts per peer and DIR/mix.wav, or, when a
// recording is already there, the next free take (NAME-2.ts, mix-2.wav, ...) so that nothing is
// ever overwritten. Pure functions (any thread); first_free_take looks at the directory.
#pragma once

#include <string>
#include <vector>

namespace meshcall {

// A peer's name as a file stem: letters, digits, '.', '-' and '_' kept, anything else '_';
// never empty, never "." or "..", at most 64 bytes.
std::string record_stem(const std::string& name);

// One stem per peer, in order, all different (a later peer whose stem is taken gets "_2", ...).
std::vector<std::string> record_stems(const std::vector<std::string>& names);

// "bob.ts" for take 1, "bob-2.ts" for take 2.
std::string record_file_name(const std::string& stem, int take, const std::string& extension);

// The first take (1, 2, ...) for which none of `stems` with ".ts" nor "mix" with ".wav" is
// in `dir`.
int first_free_take(const std::string& dir, const std::vector<std::string>& stems);

}  // namespace meshcall
