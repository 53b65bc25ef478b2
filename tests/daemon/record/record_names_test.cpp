// Tests daemon/record/record_names: a recording's file names.
#include "daemon/record/record_names.hpp"

#include <doctest/doctest.h>

#include "tests/support/process.hpp"

using namespace meshcall;

TEST_CASE("record names: a peer's name becomes a safe file stem") {
    CHECK(record_stem("bob") == "bob");
    CHECK(record_stem("Bob-2_x.y") == "Bob-2_x.y");
    CHECK(record_stem("a/b c") == "a_b_c");
    CHECK(record_stem("../etc") == ".._etc");
    CHECK(record_stem("..") == "_..");
    CHECK(record_stem(".") == "_.");
    CHECK(record_stem("") == "_");
    CHECK(record_stem("\xc3\xa9") == "__");
    CHECK(record_stem(std::string(100, 'a')).size() == 64);
}

TEST_CASE("record names: two peers never share a file") {
    const auto stems = record_stems({"a b", "a_b", "a/b", "c"});
    CHECK(stems == std::vector<std::string>{"a_b", "a_b_2", "a_b_3", "c"});
}

TEST_CASE("record names: a second take never overwrites the first") {
    meshcall::test::TempDir dir;
    CHECK(record_file_name("bob", 1, ".ts") == "bob.ts");
    CHECK(record_file_name("mix", 3, ".wav") == "mix-3.wav");
    CHECK(first_free_take(dir.path(), {"alice", "bob"}) == 1);
    dir.write("bob.ts", "x");
    CHECK(first_free_take(dir.path(), {"alice", "bob"}) == 2);
    dir.write("mix-2.wav", "x");
    CHECK(first_free_take(dir.path(), {"alice", "bob"}) == 3);
}
