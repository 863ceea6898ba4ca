# Shared by scripts/demo and scripts/test: installs what is missing, configures build
# directories once, and keeps rebuilds quick (ccache, 2 jobs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian 12 package names. Build: compilers, meson, and every library the project finds with
# dependency(). Test: clang 16 with its sanitizer and libFuzzer runtimes, cmake for the package
# check, nghttpd as an HTTP/2 server for the client's tests, doxygen for the API reference,
# Boost (Boost.Asio adapter), zlib (D++, which scripts/dpp.sh builds) and prometheus: promtool,
# which checks the alerting rules in deploy/prometheus (tests/ops/check_ops.sh) and serve's
# /metrics, and the server that scrapes serve in tests/serve_metrics_test.cpp.
BUILD_PACKAGES=(g++ meson ninja-build pkg-config ccache libasio-dev libcurl4-openssl-dev libsimdjson-dev
                libfmt-dev libssl-dev libsqlite3-dev libpq-dev doctest-dev libqrencode-dev prometheus-cpp-dev)
TEST_PACKAGES=(clang-16 libclang-rt-16-dev cmake nghttp2-server chromium postgresql doxygen libboost-dev zlib1g-dev
               prometheus)

# Where the tests read Discord's OpenAPI document (tests/openapi/fetch_spec.mjs puts it there;
# tests/meson.build names the same path).
OPENAPI_SPEC="$ROOT/subprojects/packagecache/discord-openapi.json"

export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "Missing packages: ${missing[*]}. This script knows Debian and Ubuntu's apt-get;" \
             "install the equivalents by hand." >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing packages. Run this, then run me again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure DIR [meson options...]: sets DIR up on first use; later runs let ninja
# reconfigure by itself when meson files change.
configure() {
    local dir="$1"
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        log "configuring $dir"
        meson setup "$dir" "$@" >/dev/null
    fi
}
