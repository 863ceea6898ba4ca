#!/usr/bin/env bash
# Installs the library from BUILD_DIR into a scratch prefix, then builds programs against it as
# bot authors do, through find_package(discord-oauth2) and through pkg-config, and runs the
# seed's whole flow (link, callback, wait, connections, revoke) with each against the installed
# emulator; once more built with -fsanitize=address and run without ASAN_OPTIONS. The optional
# libraries each get a consumer of their own: discord-oauth2-postgres always (the tests need it),
# discord-oauth2-prometheus where the build made it (prometheus-cpp-core found).
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
emulator_pid=""
trap '[ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null; rm -rf "$scratch"' EXIT

meson install -C "$build_dir" --no-rebuild --destdir "$scratch/root" >/dev/null
prefix="$scratch/root$(meson introspect "$build_dir" --buildoptions |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')"

pcfile="$(find "$prefix" -name discord-oauth2.pc | head -n1)"
pcdir="$(dirname "$pcfile")"
# A shared library is found at run time from the scratch prefix.
export LD_LIBRARY_PATH="$(dirname "$pcdir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
kind="$([ -e "$(dirname "$pcdir")/libdiscord-oauth2.so" ] && echo shared || echo static)"

# Every public header is installed, the framework adapters too: D++ and Boost are needed only by
# the bots that include them, not to build the library.
for header in dpp.hpp boost.hpp result.hpp cdn.hpp prometheus.hpp; do
    if [ ! -f "$prefix/include/discord/oauth2/$header" ]; then
        echo "discord/oauth2/$header is not installed" >&2
        exit 1
    fi
done

# no_optional_libraries PROGRAM: a program that uses neither PostgreSQL nor Prometheus must depend
# on neither libpq nor prometheus-cpp.
no_optional_libraries() {
    if ldd "$1" | grep -E 'libpq|libprometheus' >&2; then
        echo "$1 links libpq or prometheus-cpp without using them" >&2
        exit 1
    fi
}

# discord-oauth2-prometheus is built where prometheus-cpp-core was found; then it is installed,
# with its pkg-config file.
have_prometheus="$(meson introspect "$build_dir" --targets |
    python3 -c 'import json,sys; print("yes" if any(t["name"] == "discord-oauth2-prometheus" for t in json.load(sys.stdin)) else "no")')"
if [ "$have_prometheus" = yes ]; then
    for file in "$pcdir/discord-oauth2-prometheus.pc" "$(dirname "$pcdir")/libdiscord-oauth2-prometheus.$([ "$kind" = shared ] && echo so || echo a)"; do
        [ -f "$file" ] || { echo "discord-oauth2-prometheus was built but $file is not installed" >&2; exit 1; }
    done
fi

# The installed emulator, approving every authorization at once as its first user, with a free
# port's callback registered (and no rate limits: the flow has reads in flight at once).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$prefix/bin/discord-oauth2-emulator" --auto-approve --no-rate-limits --redirect-uri "http://127.0.0.1:$port/callback" \
    >"$scratch/emulator.out" 2>"$scratch/emulator.err" &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$scratch/emulator.out" ] && break; sleep 0.1; done
emulator_url="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$scratch/emulator.out")"

# run_flow PROGRAM: the seed's flow must complete.
run_flow() {
    local out
    if ! out="$(env -u ASAN_OPTIONS "$1" "$emulator_url" "$port" 2>&1)" || [[ "$out" != *"consumer flow: "*" connections, revoked"* ]]; then
        echo "$1 failed the flow:" >&2
        echo "$out" >&2
        exit 1
    fi
}

echo "package check ($kind): CMake find_package, with and without the postgres component (prometheus: $have_prometheus)"
cmake -S "$here/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DWITH_PROMETHEUS="$([ "$have_prometheus" = yes ] && echo ON || echo OFF)" >/dev/null
cmake --build "$scratch/cmake" -j2 >/dev/null
run_flow "$scratch/cmake/consumer_flow"
no_optional_libraries "$scratch/cmake/consumer_flow"
run_flow "$scratch/cmake/consumer_flow_asan"
"$scratch/cmake/consumer_postgres" | grep -q "consumer: postgres store_failed caught" ||
    { echo "CMake postgres consumer failed" >&2; exit 1; }
if [ "$have_prometheus" = yes ]; then
    "$scratch/cmake/consumer_prometheus" | grep -q "consumer: prometheus counted" ||
        { echo "CMake prometheus consumer failed" >&2; exit 1; }
fi
if cmake -S "$here/consumer" -B "$scratch/cmake-unknown" -DCMAKE_PREFIX_PATH="$prefix" \
        -DASK_UNKNOWN_COMPONENT=ON >/dev/null 2>&1; then
    echo "find_package accepted an unknown component" >&2
    exit 1
fi

echo "package check ($kind): pkg-config"
flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$prefix" --cflags --libs discord-oauth2)"
case " $flags " in *" -lpq "* | *" -lprometheus-cpp-core "*)
    echo "pkg-config discord-oauth2 asks for libpq or prometheus-cpp: $flags" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086
c++ -std=c++20 "$here/consumer/flow.cpp" -o "$scratch/pc-consumer" $flags
run_flow "$scratch/pc-consumer"
no_optional_libraries "$scratch/pc-consumer"
pg_flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$prefix" --cflags --libs discord-oauth2-postgres)"
# shellcheck disable=SC2086
c++ -std=c++20 "$here/consumer/postgres.cpp" -o "$scratch/pc-consumer-postgres" $pg_flags
"$scratch/pc-consumer-postgres" | grep -q "consumer: postgres store_failed caught" ||
    { echo "pkg-config postgres consumer failed" >&2; exit 1; }
if [ "$have_prometheus" = yes ]; then
    prom_flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$prefix" --cflags --libs discord-oauth2-prometheus)"
    # shellcheck disable=SC2086
    c++ -std=c++20 "$here/consumer/prometheus.cpp" -o "$scratch/pc-consumer-prometheus" $prom_flags
    "$scratch/pc-consumer-prometheus" | grep -q "consumer: prometheus counted" ||
        { echo "pkg-config prometheus consumer failed" >&2; exit 1; }
fi
if [ "$kind" = static ]; then
    # Once, not per kind: a CMake project that builds the library from this checkout itself.
    echo "package check: a CMake project building the library from source (cmake/DiscordOAuth2External.cmake)"
    source_dir="$(cd "$here/../.." && pwd)"
    cmake -S "$here/external" -B "$scratch/external" -DDISCORD_OAUTH2_SOURCE_DIR="$source_dir" >/dev/null
    if ! cmake --build "$scratch/external" -j2 >"$scratch/external.log" 2>&1; then
        tail -n 40 "$scratch/external.log" >&2
        echo "the ExternalProject build failed" >&2
        exit 1
    fi
    run_flow "$scratch/external/consumer_flow"
fi
echo "package check ($kind): passed"
