#!/usr/bin/env bash
# Checks the operator's files in deploy/ (docs/operations.md):
#   - the Prometheus alerting rules: `promtool check rules`, then their unit tests with
#     `promtool test rules` (Debian's prometheus package; scripts/test installs it);
#   - the systemd unit: the settings the docs promise, that every option it gives serve is one the
#     built discord-oauth2 knows (`serve --help`), that each credential it loads is used and each it
#     uses is loaded, then `systemd-analyze verify` and `systemd-analyze security --offline` on a
#     copy whose ExecStart is the built program (verify wants an executable there).
# What cannot run here (no systemd-analyze, or one that cannot work in this container) is said
# plainly and skipped; every other failure fails the script.
#
#   tests/ops/check_ops.sh PATH_OF_THE_BUILT_discord-oauth2
#
# tests/meson.build runs it as the test `ops_files`, with the command line it builds.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH_OF_THE_BUILT_discord-oauth2" >&2
    exit 2
fi
if [ ! -x "$1" ] || [ -d "$1" ]; then
    echo "$1 is not an executable file" >&2
    exit 2
fi
# systemd wants an absolute path in ExecStart.
binary="$(realpath "$1")"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rules="$root/deploy/prometheus/discord-oauth2.rules.yml"
rules_test="$root/deploy/prometheus/discord-oauth2.rules.test.yml"
unit="$root/deploy/systemd/discord-oauth2-serve.service"
installed_path=/usr/local/bin/discord-oauth2
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
skipped=()

# check WHAT COMMAND...: runs COMMAND, counts it, and says what was checked.
check() {
    local what="$1"
    shift
    echo "--- $what"
    if "$@"; then
        echo "ok: $what"
        passed=$((passed + 1))
    else
        echo "FAILED: $what"
        failed=$((failed + 1))
    fi
}

skip() {
    echo "--- SKIPPED: $1"
    skipped+=("$1")
}

# --- Prometheus ---------------------------------------------------------------------------

if command -v promtool >/dev/null; then
    check "promtool check rules ${rules#"$root/"}" promtool check rules "$rules"
    # Rule files named in the test file are found beside it.
    check "promtool test rules ${rules_test#"$root/"}" promtool test rules "$rules_test"
else
    echo "FAILED: promtool is missing (Debian's prometheus package: apt-get install prometheus)"
    failed=$((failed + 1))
fi

# --- The systemd unit, offline ------------------------------------------------------------

# The unit with its continuation lines joined: one setting a line.
joined="$scratch/joined"
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$unit" > "$joined"
exec_start="$(grep '^ExecStart=' "$joined" || true)"

# Each setting the unit must keep (docs/operations.md lists them), as a whole line.
required_settings() {
    local missing=0 line
    for line in \
        'DynamicUser=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'CapabilityBoundingSet=' \
        'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' 'LockPersonality=yes' \
        'RestrictNamespaces=yes' 'StateDirectory=discord-oauth2' 'RuntimeDirectory=discord-oauth2' \
        'EnvironmentFile=-/etc/discord-oauth2/serve.env' 'ExecReload=/bin/kill -HUP $MAINPID' \
        'Restart=on-failure' 'KillSignal=SIGTERM'; do
        if ! grep -qxF -- "$line" "$joined"; then
            echo "the unit lacks the line: $line"
            missing=1
        fi
    done
    return $missing
}
check "the unit's hardening, directories, reload and restart settings" required_settings

exec_start_shape() {
    local bad=0
    [[ "$exec_start" == "ExecStart=$installed_path serve "* ]] || { echo "ExecStart does not run $installed_path serve"; bad=1; }
    [[ "$exec_start" == *" --metrics 127.0.0.1:9464 "* ]] || { echo "ExecStart lacks --metrics 127.0.0.1:9464"; bad=1; }
    [[ "$exec_start" == *" --log-format json "* ]] || { echo "ExecStart lacks --log-format json"; bad=1; }
    # A secret on the command line is readable by every user (ps): only @FILE or - forms.
    if grep -Eo -- '--(client-secret|bot-token|access-token|store) [^ ]+' <<<"$exec_start" | grep -Ev -- ' (@|-$|sqlite:)'; then
        echo "ExecStart gives a secret-valued option a literal value"
        bad=1
    fi
    return $bad
}
check "ExecStart runs serve with metrics, JSON logs and no secret in argv" exec_start_shape

# Every credential loaded is used as %d/NAME, and every %d/NAME used is loaded.
credentials_match() {
    local loaded used
    loaded="$(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$joined" | sort -u)"
    used="$(grep -E '^Exec[A-Za-z]*=' "$joined" | grep -o '%d/[A-Za-z0-9._-]*' | sed 's#^%d/##' | sort -u)"
    if [ -z "$loaded" ] || [ "$loaded" != "$used" ]; then
        echo "loaded: $(echo $loaded); used: $(echo $used)"
        return 1
    fi
    echo "credentials: $(echo $loaded)"
}
check "each credential the unit loads is the one it uses" credentials_match

# The options the unit gives serve, against what the built program says it takes. Only a
# discord-oauth2 can be asked; any other executable (a stand-in) skips this.
if version="$("$binary" --version 2>/dev/null)" && [[ "$version" == "discord-oauth2 "* ]]; then
    options_known() {
        local help bad=0 option
        help="$("$binary" serve --help)"
        for option in $(grep -Eo -- ' --[a-z][a-z-]*' <<<"$exec_start" | sort -u); do
            if ! grep -Eq -- "(^|[^a-z-])$option([^a-z-]|$)" <<<"$help"; then
                echo "discord-oauth2 serve --help does not list $option"
                bad=1
            fi
        done
        return $bad
    }
    check "every option of ExecStart is one '$version serve' takes" options_known
else
    skip "the options of ExecStart against serve --help: $binary is not discord-oauth2"
fi

# --- The systemd unit, with systemd-analyze ----------------------------------------------

# A copy whose ExecStart is the built program, under the unit's own name (verify reads the
# name). % starts a specifier in a unit file, so a % in the path is written %%.
copy="$scratch/$(basename "$unit")"
content="$(<"$unit")"
printf '%s\n' "${content//"$installed_path"/"${binary//%/%%}"}" > "$copy"

if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze verify and security: systemd-analyze is not installed (Debian's systemd package)"
else
    # Can it work here at all? A unit that cannot be wrong says so.
    probe="$scratch/ops-probe.service"
    printf '[Service]\nExecStart=%s\n' "$(command -v sh)" > "$probe"
    if ! probe_output="$(systemd-analyze verify --man=no --recursive-errors=no "$probe" 2>&1)"; then
        skip "systemd-analyze verify and security: it cannot run in this environment ($probe_output)"
    else
        # Errors fail it; warnings about the unit's own lines (an unknown or misspelt setting,
        # a missing executable) are written with its path, and fail it too.
        verify_unit() {
            local output status=0
            output="$(systemd-analyze verify --man=no --recursive-errors=no "$copy" 2>&1)" || status=$?
            [ -n "$output" ] && echo "$output"
            [ $status -eq 0 ] && ! grep -qF -- "$(basename "$copy")" <<<"$output"
        }
        check "systemd-analyze verify ${unit#"$root/"} (ExecStart=$binary)" verify_unit

        # The exposure score (0 to 10, 10 the least sandboxed), as `systemd-analyze security`
        # computes it from the unit alone. The unit scores 1.2; above 2 a hardening line went.
        if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
            security_score() {
                local output status=0
                output="$(systemd-analyze security --offline=yes --threshold=20 "$copy" 2>&1)" || status=$?
                grep 'Overall exposure level' <<<"$output" || echo "$output"
                return $status
            }
            check "systemd-analyze security --offline: exposure at most 2.0" security_score
        else
            skip "systemd-analyze security --offline: this systemd-analyze is older than version 250"
        fi
    fi
fi

echo
echo "ops files: $passed checks passed, $failed failed, ${#skipped[@]} skipped"
for s in "${skipped[@]}"; do
    echo "  skipped: $s"
done
[ "$failed" -eq 0 ]
