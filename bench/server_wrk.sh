#!/usr/bin/env bash
# The server core alone under wrk: requests/s and latency percentiles.
#   bench/server_wrk.sh [BUILD_DIR] [CONNECTIONS] [SECONDS]
# BUILD_DIR defaults to build/release (configured with -Dbuildtype=release).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
connections="${2:-64}"
seconds="${3:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

coproc server { exec "$build/bench/http_client_bench" --serve; }
trap 'kill "$server_PID" 2>/dev/null || true' EXIT
read -r port <&"${server[0]}"
out="$(wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port/bench")"
echo "$out"
rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
echo "server core under wrk, $connections connections, ${seconds}s: $rps requests/s, p99 $p99"
