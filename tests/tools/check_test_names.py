#!/usr/bin/env python3
"""Fails if a doctest TEST_CASE name holds a ';': CTest splits such a name into two tests that
run nothing (and pass), so the case silently stops running. Run by scripts/test."""
import pathlib
import re
import sys

NAME = re.compile(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)')
bad = []
for path in sorted(pathlib.Path(__file__).resolve().parent.parent.rglob("*.cpp")):
    for m in NAME.finditer(path.read_text(errors="replace")):
        name = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        if ";" in name:
            bad.append(f"{path}: {name}")
if bad:
    print("test names with ';' (CTest splits them into tests that run nothing):\n  " + "\n  ".join(bad))
    sys.exit(1)
