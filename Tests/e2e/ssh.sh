#!/usr/bin/env bash
# End-to-end: a real OpenSSH sshd on 127.0.0.1, the PAM stack of pam.d-example/sshd
# (and sshd-key-and-code), the OpenSSH client driven by expect (lib/ssh_login.exp).
# Runs in a private mount namespace; the host's /etc/pam.d is never touched.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=ssh
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds sshd ssh ssh-keygen expect oathtool python3 useradd userdel chpasswd setsid
resolve_artifacts
setup_workdir
private_pam_dir
private_syslog

create_alice_and_bob
log "users: $ALICE (enrolled), $BOB (not enrolled)"

# --- password + code (pam.d-example/sshd), rollout with nullok -----------------------
install_pam_service sshd sshd nullok
start_sshd

ssh_try "nullok: unenrolled user logs in with the password only" 0 "$BOB" "$BOB_PW" -
ssh_try "nullok: enrolled user still needs the code (wrong code refused)" 1 "$ALICE" "$ALICE_PW" "$(wrong_code)"

# --- strict: no nullok (PAM files are read at each login; no restart needed) ---------
install_pam_service sshd sshd
CODE=$(fresh_code)
ssh_try "password + valid code logs in" 0 "$ALICE" "$ALICE_PW" "$CODE"
last_step=$(last_step "$ALICE")
[[ $last_step != 0 ]] && pass "accepted step recorded in the store (last_step $last_step)" || fail "accepted step recorded in the store"
failures_before=$(state_field "$ALICE" failures)
ssh_try "replayed code refused" 1 "$ALICE" "$ALICE_PW" "$CODE"
failures_after=$(state_field "$ALICE" failures)
if ((failures_after == failures_before + 1)); then pass "the refusal came from the module (failure counted)"; else fail "the refusal came from the module" "failures $failures_before -> $failures_after"; fi
ssh_try "wrong code refused" 1 "$ALICE" "$ALICE_PW" "$(wrong_code)"
ssh_try "wrong password refused before the code is asked" 2 "$ALICE" "wrong-$ALICE_PW" "$(fresh_code)"
ssh_try "unenrolled user refused without nullok" 1 "$BOB" "$BOB_PW" 123456
ssh_try "backup code logs in" 0 "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}"
ssh_try "same backup code refused the second time" 1 "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}"
if ((${#BACKUP_CODES[@]} > 1)); then
    ssh_try "another backup code, typed in upper case, logs in" 0 "$ALICE" "$ALICE_PW" "${BACKUP_CODES[1]^^}"
fi

# --- exempt_network (pam.d-example/exempt-network): sshd passes the client's address as
# PAM_RHOST; a login from 127.0.0.2 is not asked for the code, one from 127.0.0.1 is.
install_pam_service sshd exempt-network "exempt_network=127.0.0.2/32"
from=$(($(wc -l <"$SYSLOG") + 1))
ssh_try "exempt_network: from an exempt address, password only logs in" 0 "$ALICE" "$ALICE_PW" - "" 127.0.0.2
sleep 0.2 # the listener writes asynchronously
module_log_lines "$from" | grep 'rhost="127.0.0.2" result=exempt reason="rhost in exempt_network 127.0.0.2/32"' >/dev/null &&
    pass "exempt_network: logged result=exempt with the rule" || fail "exempt_network: logged result=exempt with the rule" "$(module_log_lines "$from")"
ssh_try "exempt_network: from an exempt address, a wrong password is still refused" 1 "$ALICE" "wrong-$ALICE_PW" - "" 127.0.0.2
ssh_try "exempt_network: from another address, the code is asked (wrong code refused)" 1 "$ALICE" "$ALICE_PW" "$(wrong_code)"
if ((${#BACKUP_CODES[@]} > 2)); then
    ssh_try "exempt_network: from another address, password + backup code logs in" 0 "$ALICE" "$ALICE_PW" "${BACKUP_CODES[2]}"
fi
stop_sshd

# --- key + code, no password (pam.d-example/sshd-key-and-code) -----------------------
# A second enrolled user, so that its codes are unused.
CAROL=$(new_user_name)
create_user "$CAROL" "$(random_password)"
enroll "$CAROL" || die "enrollment of $CAROL failed"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/carol_key"
home=$(getent passwd "$CAROL" | cut -d: -f6)
install -d -m 0700 -o "$CAROL" -g "$(id -gn "$CAROL")" "$home/.ssh"
install -m 0600 -o "$CAROL" -g "$(id -gn "$CAROL")" "$WORK/carol_key.pub" "$home/.ssh/authorized_keys"
install_pam_service sshd sshd-key-and-code
start_sshd publickey,keyboard-interactive yes
ssh_try "key + valid code logs in (no password asked)" 0 "$CAROL" - "$(fresh_code)" "$WORK/carol_key"
ssh_try "key + wrong code refused" 1 "$CAROL" - "$(wrong_code)" "$WORK/carol_key"
ssh_try "no key: keyboard-interactive alone is not enough" 1 "$CAROL" - - ""
stop_sshd

# --- split_answer with and without the checking instance (KeptCodeGuard.swift) -------
# One prompt for password and code (prompt=Password: so that ssh_login.exp answers it).
# Without a use_first_pass instance nothing checks the code and pam_authenticate passes
# on the password alone; the module's pam_setcred must then fail, and sshd ends the login.
split_stack() { # split_stack [VERIFIER_OPTIONS]
    {
        echo "auth requisite $S2FA_MODULE store=$STORE split_answer prompt=Password:"
        echo "auth requisite pam_unix.so use_first_pass"
        if [[ -n ${1:-} ]]; then echo "auth required $S2FA_MODULE store=$STORE $1"; fi
        echo "account required pam_unix.so"
        echo "session required pam_unix.so"
    } >"$PAM_DIR/sshd"
}
# CAROL, the last user enrolled: SECRET (wrong_code) and BACKUP_CODES are hers now. A
# backup code, since her key login above may have used the step fresh_code gives now.
CAROL_PW=$(random_password)
printf '%s:%s\n' "$CAROL" "$CAROL_PW" | chpasswd
start_sshd
split_stack use_first_pass
ssh_try "split_answer + use_first_pass: password and backup code in one answer log in" 0 "$CAROL" "$CAROL_PW${BACKUP_CODES[0]}" -
split_stack
setcred_before=$(grep -c 'pam_setcred' "$WORK/sshd.log" || true)
ssh_try "split_answer without a checking instance: the password (with a wrong code) does not log in" 1 \
    "$CAROL" "$CAROL_PW$(wrong_code)" -
setcred_after=$(grep -c 'pam_setcred' "$WORK/sshd.log" || true)
if ((setcred_after > setcred_before)); then
    pass "split_answer without a checking instance: sshd ended the login at pam_setcred ($(grep 'pam_setcred' "$WORK/sshd.log" | tail -1 | cut -c1-120))"
else
    fail "split_answer without a checking instance: sshd ended the login at pam_setcred" "no pam_setcred line in sshd's log"
fi
stop_sshd

if grep -q 'pam_swift2fa\|PAM: unable\|dlopen' "$WORK/sshd.log"; then
    log "sshd log mentions the module:"
    grep 'pam_swift2fa\|PAM: unable\|dlopen' "$WORK/sshd.log" >&2 || true
fi
