#!/usr/bin/env bash
# A server under wrk: requests/s and latency percentiles.
#   bench/server_wrk.sh [BUILD_DIR] [CONNECTIONS] [SECONDS] [core|callback]
# core: the server core alone, a small JSON answer. callback: the web server's callback with a
# state that does not open (the invalid-state rejection every forged or stale link gets).
# BUILD_DIR defaults to build/release (configured with -Dbuildtype=release).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
connections="${2:-64}"
seconds="${3:-10}"
target="${4:-core}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

case "$target" in
    core) program="$build/bench/http_client_bench"; path="/bench"; what="server core" ;;
    callback) program="$build/bench/web_server_bench"
              path="/callback?code=c0de&state=AUAD6occevh3pa905T-C_GMgp21mSE-gCFHlUKCgzNTljJ6_88HemjQ3QX78fAOD0zNm9Dn2KMomXVw2GVgBcqd0PVXJuDPvVsqwCsNcfcLYdLZzx1eJ11fXOXSY_3_VRl4ITuKhJidSCHCetkJonV5Q8jqcQ8QjBjLgnpwZc1IaeLsLzRVTAtTKAJ0"
              what="web server, invalid-state rejections" ;;
    *) echo "target must be core or callback" >&2; exit 2 ;;
esac
coproc server { exec "$program" --serve; }
trap 'kill "$server_PID" 2>/dev/null || true' EXIT
read -r port <&"${server[0]}"
out="$(wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port$path")"
echo "$out"
rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
echo "$what under wrk, $connections connections, ${seconds}s: $rps requests/s, p50 $p50, p99 $p99"
