// RecordStatus: what a running recording has written so far (the status reply's "recording").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace meshcall {

struct RecordStatus {
    std::string dir;
    std::vector<std::string> files;  // in the order they were opened: the mix first
    uint64_t bytes = 0;              // written into all of them
    uint64_t dropped = 0;            // datagrams the record thread was too slow for
    std::string error;               // a write failed: the recording stopped there
};

}  // namespace meshcall
