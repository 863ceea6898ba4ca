#!/usr/bin/env python3
"""Compiles refusals.cpp once per case with g++ and checks that what g++ 12 would free twice is
refused by the library at compile time, with its message, while the same code written with the
values named first compiles.

    refusals.py SOURCE COMPILER [FLAG...]
"""
import re
import subprocess
import sys

MESSAGE = "GCC bug 100611"


def compile_case(source, compiler, flags, case):
    command = compiler + flags + ["-std=c++20", "-fsyntax-only", f"-DCASE={case}", source]
    return subprocess.run(command, capture_output=True, text=True)


def main():
    source, compiler, flags = sys.argv[1], [sys.argv[2]], sys.argv[3:]
    cases = sorted({int(n) for n in re.findall(r"^#(?:el)?if CASE == (\d+)", open(source).read(), re.M)})
    failures = 0
    for case in cases:
        result = compile_case(source, compiler, flags, case)
        if case == 0:
            ok = result.returncode == 0
            what = "compiles" if ok else "does not compile:\n" + result.stderr[-3000:]
        else:
            ok = result.returncode != 0 and MESSAGE in result.stderr
            what = "is refused with the library's message" if ok else (
                "compiles (g++ 12 would free it twice)" if result.returncode == 0
                else "fails, but not with the library's message:\n" + result.stderr[-3000:])
        print(f"case {case} {what}")
        failures += not ok
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
