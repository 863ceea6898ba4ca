#!/usr/bin/env bash
# Installs the library from BUILD_DIR into a scratch prefix, then builds and runs a small
# program against it twice: through find_package(discord-oauth2) and through pkg-config.
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

meson install -C "$build_dir" --no-rebuild --destdir "$scratch/root" >/dev/null
prefix="$scratch/root$(meson introspect "$build_dir" --buildoptions |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')"

pcfile="$(find "$prefix" -name discord-oauth2.pc | head -n1)"
pcdir="$(dirname "$pcfile")"
# A shared library is found at run time from the scratch prefix.
export LD_LIBRARY_PATH="$(dirname "$pcdir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
kind="$([ -e "$(dirname "$pcdir")/libdiscord-oauth2.so" ] && echo shared || echo static)"

# no_libpq PROGRAM: a program that does not use PostgreSQL must not depend on libpq.
no_libpq() {
    if ldd "$1" | grep -q libpq; then
        echo "$1 links libpq without using PostgreSQL" >&2
        exit 1
    fi
}

echo "package check ($kind): CMake find_package, with and without the postgres component"
cmake -S "$here/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/cmake" -j2 >/dev/null
"$scratch/cmake/consumer" | grep -q "consumer: discord.oauth2 error caught" || { echo "CMake consumer failed" >&2; exit 1; }
no_libpq "$scratch/cmake/consumer"
"$scratch/cmake/consumer_postgres" | grep -q "consumer: postgres store_failed caught" ||
    { echo "CMake postgres consumer failed" >&2; exit 1; }
if cmake -S "$here/consumer" -B "$scratch/cmake-unknown" -DCMAKE_PREFIX_PATH="$prefix" \
        -DASK_UNKNOWN_COMPONENT=ON >/dev/null 2>&1; then
    echo "find_package accepted an unknown component" >&2
    exit 1
fi

echo "package check ($kind): pkg-config"
flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$prefix" --cflags --libs discord-oauth2)"
case " $flags " in *" -lpq "*) echo "pkg-config discord-oauth2 asks for libpq: $flags" >&2; exit 1 ;; esac
# shellcheck disable=SC2086
c++ -std=c++20 "$here/consumer/main.cpp" -o "$scratch/pc-consumer" $flags
"$scratch/pc-consumer" | grep -q "consumer: discord.oauth2 error caught" || { echo "pkg-config consumer failed" >&2; exit 1; }
no_libpq "$scratch/pc-consumer"
pg_flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$prefix" --cflags --libs discord-oauth2-postgres)"
# shellcheck disable=SC2086
c++ -std=c++20 "$here/consumer/postgres.cpp" -o "$scratch/pc-consumer-postgres" $pg_flags
"$scratch/pc-consumer-postgres" | grep -q "consumer: postgres store_failed caught" ||
    { echo "pkg-config postgres consumer failed" >&2; exit 1; }
echo "package check ($kind): passed"
