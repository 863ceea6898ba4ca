#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_DIR WORK_DIR: runs FUZZER for FUZZ_SECONDS (default 30) over the
# seeds plus what earlier runs found. Fails on any crash, leak or sanitizer report.
set -euo pipefail
fuzzer="$1" seeds="$2" work="$3"
mkdir -p "$work"
# libFuzzer's own exit code for a crash is 77, which meson reads as "skipped": make it 1.
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$work/" "$work" "$seeds"
