#!/usr/bin/env bash
# End-to-end: no environment variable reaches the module. An ordinary user runs the
# real setuid `su` (pam.d-example/su) on a pty, under strace -f, once with a clean
# environment and once with every SWIFT_* name that `strings` finds in the module (the
# Embedded one has none: then the full runtime's best-known names) set to a hostile
# value, plus LANGUAGE, LC_ALL, LOCPATH, TZ and TZDIR. Both runs answer the same
# password and code (the state file is put back in between), and must end
# alike: the same exit status, the same module log line (a private /dev/log), the same
# output from the module's prompt on, no runtime help text, and no file opened under
# the hostile paths. Once with a valid code, once with a wrong one.
# Runs in a private mount namespace; the host's /etc/pam.d and /dev are never touched.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=environment
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds su setpriv strace expect strings oathtool python3 useradd userdel chpasswd
resolve_artifacts
setup_workdir
private_pam_dir
private_syslog

create_alice_and_bob
install_pam_service su su

# Every name the runtime could look for. A path-like value points into HOSTILE, which
# stays empty: any attempt to open something there shows in the strace output.
HOSTILE=$WORK/hostile
mkdir -m 0755 "$HOSTILE"
mapfile -t SWIFT_NAMES < <(strings -a "$S2FA_MODULE" | grep -oE '^SWIFT_[A-Z0-9_]*[A-Z0-9]' | sort -u)
if [[ ${S2FA_MODULE_RUNTIME:-embedded} == embedded ]]; then
    # The Embedded Swift module carries no runtime, so none of its names: the hostile run
    # sets the full runtime's best-known ones instead.
    [[ ${#SWIFT_NAMES[@]} -eq 0 ]] && pass "strings finds no SWIFT_* name in the Embedded module (no Swift runtime)" ||
        fail "strings finds no SWIFT_* name in the Embedded module (no Swift runtime)" "found: ${SWIFT_NAMES[*]}"
    SWIFT_NAMES=(SWIFT_DEBUG_HELP SWIFT_BACKTRACE SWIFT_DETERMINISTIC_HASHING SWIFT_ROOT SWIFT_DEBUG_ENABLE_COW_CHECKS
        SWIFT_DEBUG_IMPLICIT_OBJC_ENTRYPOINT SWIFT_ENABLE_MANGLED_NAME_VERIFICATION)
elif [[ " ${SWIFT_NAMES[*]} " == *" SWIFT_DEBUG_HELP "* && ${#SWIFT_NAMES[@]} -ge 10 ]]; then
    pass "strings finds the runtime's SWIFT_* names in the module (${#SWIFT_NAMES[@]}, SWIFT_DEBUG_HELP among them)"
else
    fail "strings finds the runtime's SWIFT_* names in the module" "found: ${SWIFT_NAMES[*]}"
fi
hostile_value() {
    case $1 in
        SWIFT_BACKTRACE) echo "enable=yes,interactive=yes,swift-backtrace=$HOSTILE/swift-backtrace,output-to=$HOSTILE/crash.log" ;;
        *PATH*) echo "$HOSTILE/prespecialized.so" ;;
        *PROCESSES*) echo "su:sh" ;;
        *VERSION* | *ENTRYPOINT*) echo 3 ;;
        *) echo YES ;;
    esac
}
HOSTILE_ENV=()
for name in "${SWIFT_NAMES[@]}"; do HOSTILE_ENV+=("$name=$(hostile_value "$name")"); done
HOSTILE_ENV+=("LANGUAGE=de:fr" "LC_ALL=C.UTF-8" "LOCPATH=$HOSTILE/locale" "TZ=:$HOSTILE/zoneinfo/Hostile"
    "TZDIR=$HOSTILE/zoneinfo")
log "hostile environment: ${#HOSTILE_ENV[@]} variables"

STATE=$STORE/$ALICE.state
EXP=$E2E_DIR/lib/su_login.exp

# su_run LABEL CODE [NAME=VALUE...]: BOB runs `su ALICE -c 'echo s2fa-su-ok'` with exactly
# this environment (plus PATH), under strace -f. Sets RC; leaves LABEL.out (the pty),
# LABEL.strace and LABEL.log (the module's log lines of this run) in WORK.
su_run() {
    local label=$1 code=$2
    shift 2
    local from=$(($(wc -l <"$SYSLOG") + 1))
    RC=0
    expect -f "$EXP" "$ALICE_PW" "$code" \
        strace -f -qq -s 4096 -e trace=%file,%process -o "$WORK/$label.strace" \
        env -i PATH=/usr/bin:/bin "$@" \
        setpriv --reuid="$BOB" --regid="$BOB" --init-groups -- su "$ALICE" -c 'echo s2fa-su-ok' \
        >"$WORK/$label.out" 2>&1 || RC=$?
    sleep 0.2 # the listener writes asynchronously
    module_log_lines "$from" >"$WORK/$label.log"
}

# From the module's prompt on, without su's own messages ("su: Authentication failure"):
# those, and pam_unix's password prompt before, follow LANGUAGE through su's locale (a
# translation that is the host's, not the module's).
module_output() { sed -n '/Verification code: /,$p' "$WORK/$1.out" | tr -d '\r' | grep -v '^su: ' || true; }

# The trace of the su process itself from its execve on: where PAM and the module run.
# Not setpriv or env before it in the same pid, nor the shell after it, which read the
# locale variables as any program does. strace may split the execve into an
# "<unfinished ...>" line and a "resumed" one when another traced process reports in
# between, so the call's own line, not its "= 0", marks the start.
su_trace() {
    awk '!pid && $2 ~ /^execve\("\/usr\/bin\/su",/ { pid = $1 } pid && $1 == pid' "$WORK/$1.strace"
}

# Calls of the su process whose first argument is a path under HOSTILE: open, stat,
# access, execve ...
hostile_opens() { su_trace "$1" | grep -E "^[0-9]+ +[a-z0-9_]+\((AT_FDCWD, |[0-9]+, )?\"$HOSTILE" || true; }

# True when the su process opened the module. grep reads to the end (no -q): a grep that
# quit at the first match would end awk with SIGPIPE, and pipefail would make that "false".
su_loaded_module() { su_trace "$1" | grep -E "^[0-9]+ +open(at)?\(.*\"$S2FA_MODULE\"" >/dev/null; }

# compare CASE CLEAN HOSTILE WANTED_RC
compare() {
    local case=$1 clean=$2 hostile=$3 wanted=$4
    expect_rc "$case: clean environment, exit status" "$wanted" "$CLEAN_RC" "$(tr -d '\r' <"$WORK/$clean.out" | tail -3)"
    expect_rc "$case: hostile environment, same exit status" "$CLEAN_RC" "$HOSTILE_RC" "$(tr -d '\r' <"$WORK/$hostile.out" | tail -3)"
    if [[ -s $WORK/$clean.log ]] && cmp -s "$WORK/$clean.log" "$WORK/$hostile.log"; then
        pass "$case: the same module log line ($(head -1 "$WORK/$clean.log"))"
    else
        fail "$case: the same module log line" "clean: $(cat "$WORK/$clean.log") / hostile: $(cat "$WORK/$hostile.log")"
    fi
    if [[ -n $(module_output "$clean") && "$(module_output "$clean")" == "$(module_output "$hostile")" ]]; then
        pass "$case: the same output from the module's prompt on"
    else
        fail "$case: the same output from the module's prompt on" \
            "clean: $(module_output "$clean" | head -5 | tr '\n' '|') / hostile: $(module_output "$hostile" | head -5 | tr '\n' '|')"
    fi
    if grep -q "Swift runtime\|swift runtime" "$WORK/$hostile.out"; then
        fail "$case: no Swift runtime text in the output" "$(grep -i 'swift runtime' "$WORK/$hostile.out" | head -2)"
    else
        pass "$case: no Swift runtime text in the output (SWIFT_DEBUG_HELP=YES)"
    fi
    local opened
    opened=$(hostile_opens "$hostile")
    if [[ -z $opened ]] && su_loaded_module "$hostile"; then
        pass "$case: strace -f: su loaded the module and opened nothing under the hostile paths"
    else
        fail "$case: strace -f: nothing under the hostile paths opened" "${opened:-the module never loaded}"
        trace_evidence "$hostile"
    fi
}

# After a failed trace check: what the trace holds about su and the module, on stderr, and
# a copy of it kept for later (WORK is removed at exit).
trace_evidence() {
    local kept
    kept=$(mktemp /tmp/s2fa-environment-"$1".XXXXXX.strace)
    cp "$WORK/$1.strace" "$kept"
    {
        echo "  trace of $1 kept in $kept: $(wc -l <"$kept") lines"
        echo "  its execve lines:"; grep -E '^[0-9]+ +execve\(' "$kept" | cut -c1-160 | sed 's/^/    /'
        echo "  lines naming the module (any process):"; grep -F "$S2FA_MODULE" "$kept" | cut -c1-200 | head -5 | sed 's/^/    /'
        echo "  first lines of the su process:"; su_trace "$1" | head -5 | cut -c1-160 | sed 's/^/    /'
    } >&2
}

CODE=$(fresh_code)
cp -p "$STATE" "$WORK/state.before"
su_run valid-clean "$CODE"
CLEAN_RC=$RC
cp -p "$WORK/state.before" "$STATE"
su_run valid-hostile "$CODE" "${HOSTILE_ENV[@]}"
HOSTILE_RC=$RC
grep -q s2fa-su-ok "$WORK/valid-hostile.out" && pass "valid code: the hostile run logged in" ||
    fail "valid code: the hostile run logged in"
compare "valid code" valid-clean valid-hostile 0

WRONG=$(wrong_code)
cp -p "$STATE" "$WORK/state.before"
su_run wrong-clean "$WRONG"
CLEAN_RC=$RC
cp -p "$WORK/state.before" "$STATE"
su_run wrong-hostile "$WRONG" "${HOSTILE_ENV[@]}"
HOSTILE_RC=$RC
compare "wrong code" wrong-clean wrong-hostile 1

if [[ ${S2FA_E2E_KEEP:-0} == 1 ]]; then log "transcripts and traces in $WORK"; fi
