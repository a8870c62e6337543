#!/usr/bin/env bash
# End-to-end: real sudo with the PAM stack of pam.d-example/sudo. A non-root user runs
# `sudo -S -k true` and answers both prompts (password, then code) on standard input.
# Runs in a private mount namespace with private copies of /etc/pam.d and /etc/sudoers.d.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=sudo
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds sudo runuser oathtool python3 useradd userdel chpasswd expect
resolve_artifacts
setup_workdir
private_pam_dir
private_syslog

create_alice_and_bob
E2E_CLEANUP_CMDS+=("rm -f /run/sudo/ts/$ALICE /run/sudo/ts/$BOB /var/lib/sudo/lectured/$ALICE /var/lib/sudo/lectured/$BOB")

# A private /etc/sudoers.d granting the two test users sudo. One try per run, no
# cached credentials, no lecture, no mail on failures.
SUDOERS_DIR=$WORK/sudoers.d
cp -a /etc/sudoers.d "$SUDOERS_DIR"
for u in "$ALICE" "$BOB"; do
    printf '%s ALL=(ALL:ALL) ALL\nDefaults:%s passwd_tries=1, timestamp_timeout=0, !lecture, !mail_badpass\n' "$u" "$u"
done >"$SUDOERS_DIR/s2fa-e2e"
chmod 0440 "$SUDOERS_DIR/s2fa-e2e"
mount --bind "$SUDOERS_DIR" /etc/sudoers.d
visudo -c >/dev/null || die "visudo -c rejected the private sudoers"

# run_sudo USER ANSWER... : the user runs sudo -S; each answer is one line on stdin.
# Sets RC and PROMPTS (what sudo wrote on stderr).
run_sudo() {
    local user=$1
    shift
    RC=0
    printf '%s\n' "$@" | runuser -u "$user" -- sudo -S -k true 2>"$WORK/sudo.err" >/dev/null || RC=$?
    PROMPTS=$(cat "$WORK/sudo.err")
}

# check NAME WANTED_RC WANT_CODE_PROMPT(yes|no) USER ANSWER...
check() {
    local name=$1 wanted=$2 want_prompt=$3
    shift 3
    run_sudo "$@"
    local saw=no
    [[ $PROMPTS == *"Verification code:"* ]] && saw=yes
    if [[ $RC == "$wanted" && $saw == "$want_prompt" ]]; then
        pass "$name"
    else
        fail "$name" "exit $RC (wanted $wanted), code prompt shown: $saw (wanted $want_prompt); stderr: ${PROMPTS//$'\n'/ | }"
    fi
}

install_pam_service sudo sudo nullok
check "nullok: unenrolled user uses sudo with the password only" 0 no "$BOB" "$BOB_PW"
check "nullok: enrolled user still needs the code (wrong code refused)" 1 yes "$ALICE" "$ALICE_PW" "$(wrong_code)"

install_pam_service sudo sudo
CODE=$(fresh_code)
check "password + valid code on two stdin lines: sudo runs" 0 yes "$ALICE" "$ALICE_PW" "$CODE"
failures_before=$(state_field "$ALICE" failures)
check "replayed code refused" 1 yes "$ALICE" "$ALICE_PW" "$CODE"
failures_after=$(state_field "$ALICE" failures)
if ((failures_after == failures_before + 1)); then pass "the refusal came from the module (failure counted)"; else fail "the refusal came from the module" "failures $failures_before -> $failures_after"; fi
check "wrong code refused" 1 yes "$ALICE" "$ALICE_PW" "$(wrong_code)"
check "wrong password refused before the code is asked" 1 no "$ALICE" "wrong-$ALICE_PW" "$(fresh_code)"
check "no code at all (end of input) refused" 1 yes "$ALICE" "$ALICE_PW"
check "unenrolled user refused without nullok" 1 yes "$BOB" "$BOB_PW" 123456
check "backup code works" 0 yes "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}"
check "same backup code refused the second time" 1 yes "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}"

# --- grace_period keyed on the terminal: two sudo calls on one pseudo-terminal
# (lib/pty_answers.exp), each with -k (so sudo's own timestamp does not skip PAM), and sudo's
# own prompts (with -p sudo shows every hidden PAM prompt, the code's too, as its own). The first
# asks password and code, the second only the password, within the grace; a sudo without that
# terminal is asked again.
install_pam_service sudo sudo "grace_period=600" "grace_key=tty"
sleep $((31 - $(date +%s) % 30)) # a fresh step: the codes above used this one
expect -f "$E2E_DIR/lib/pty_answers.exp" "$ALICE_PW" "$(fresh_code)" runuser -u "$ALICE" -- \
    bash -c 'sudo -k true; echo "first=$?"; sudo -k true; echo "second=$?"' \
    >"$WORK/grace.out" 2>&1 || true
transcript=$(tr -d '\r' <"$WORK/grace.out")
if [[ $transcript == *"first=0"* && $transcript == *"second=0"* && $transcript == *"codes asked: 1"* ]]; then
    pass "grace_key=tty: on one terminal the second sudo is not asked for the code"
else
    fail "grace_key=tty: on one terminal the second sudo is not asked for the code" "${transcript//$'\n'/ | }"
fi
check "grace_key=tty: sudo without that terminal is asked again (wrong code refused)" 1 yes "$ALICE" "$ALICE_PW" "$(wrong_code)"

# --- a hardware token (HOTP, 8 digits, RFC 4226's seed) added to alice's enrollment with its
# seed on standard input; oathtool --hotp computes the token's codes.
install_pam_service sudo sudo
TOKEN_HEX=3132333435363738393031323334353637383930
token_code() { oathtool --hotp -d 8 -c "$1" "$TOKEN_HEX"; }
if printf '%s\n' "$TOKEN_HEX" | "$S2FA_SETUP" enroll --user "$ALICE" --add --label yubikey-5 --hotp --digits 8 \
    --seed-stdin --code "$(token_code 0)" --store "$STORE" >"$WORK/token.out" 2>&1; then
    pass "hotp: the token is added with its seed from standard input and its first code"
else
    fail "hotp: the token is added with its seed from standard input and its first code" "$(tr '\n' ' ' <"$WORK/token.out")"
fi
check "hotp: sudo with the token's next code runs" 0 yes "$ALICE" "$ALICE_PW" "$(token_code 3)"
check "hotp: the same token code again is refused" 1 yes "$ALICE" "$ALICE_PW" "$(token_code 3)"
check "hotp: an earlier counter is refused" 1 yes "$ALICE" "$ALICE_PW" "$(token_code 2)"
check "hotp: the next counter runs" 0 yes "$ALICE" "$ALICE_PW" "$(token_code 4)"
check "hotp: beyond the look-ahead (counters 5 to 15) is refused" 1 yes "$ALICE" "$ALICE_PW" "$(token_code 16)"
if module_log_lines | grep 'result=accepted-hotp credential="yubikey-5"' >/dev/null && ! grep -q "$(token_code 4)" "$SYSLOG"; then
    pass "hotp: the log line names the token, not the code"
else
    fail "hotp: the log line names the token, not the code" "$(module_log_lines | tail -3 | tr '\n' ' ')"
fi
