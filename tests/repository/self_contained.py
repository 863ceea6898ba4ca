#!/usr/bin/env python3
"""Fails when a tracked file of the repository refers to files a user of the project does not have.

A clone must build, test and read completely with nothing beside it. So no tracked file may name
the workplace's design or reference notes, the folder of shared inputs beside the clone, or the
workplace's issue numbers; only .ci/run may hand CI-provided inputs to the test command.

    self_contained.py SOURCE_ROOT

Lists tracked files with git when SOURCE_ROOT is a checkout, else walks it (skipping build output
and downloaded dependencies). Prints each hit as FILE:LINE and exits 1 when there is any.
"""
import os
import re
import subprocess
import sys

# Spelled in pieces so that this file does not match itself.
FORBIDDEN = [
    (re.compile(re.escape("REFERENCE" + ".md")), "names a reference file outside the repository"),
    (re.compile(re.escape("DESIGN" + ".md")), "names a design file outside the repository"),
    (re.compile(re.escape(".." + "/shared")), "names the folder beside the clone"),
    (re.compile(r"\b[Ii]ssue #?\d+\b"), "names a workplace issue number"),
]
ALLOWED_TO_NAME_SHARED = {".ci/run"}
SKIPPED_DIRS = {".git", "build", "node_modules", "packagecache"}


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True).stdout
        return [name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("build")]
            files += [os.path.relpath(os.path.join(directory, n), root) for n in names]
        return files


def main():
    root = sys.argv[1]
    hits = 0
    files = tracked_files(root)
    for name in files:
        path = os.path.join(root, name)
        if not os.path.isfile(path) or name.endswith("package-lock.json"):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(lines, 1):
            for pattern, why in FORBIDDEN:
                if name in ALLOWED_TO_NAME_SHARED and "shared" in pattern.pattern:
                    continue
                if pattern.search(line):
                    print(f"{name}:{number}: {why}: {line.strip()[:120]}")
                    hits += 1
    print(f"{len(files)} files checked, {hits} references outside the repository")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
