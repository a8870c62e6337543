#!/usr/bin/env bash
# End-to-end: the pam.d-example files that have no server of their own here (su, login,
# panel and its one-field variant) run through real libpam with pamtester, as services
# of a private /etc/pam.d. ssh.sh, sudo.sh and cockpit.sh cover sshd, sudo and cockpit.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=examples
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds pamtester setpriv oathtool python3 useradd userdel chpasswd
resolve_artifacts
setup_workdir
private_pam_dir

create_alice_and_bob
PAM_TRY_UID=$(id -u "$BOB")

for service in su login panel; do
    # A newly enrolled user per service, so that each has unused codes.
    ALICE=$(new_user_name)
    create_user "$ALICE" "$ALICE_PW"
    enroll "$ALICE" || die "enrollment of $ALICE failed"
    install_pam_service "$service" "$service" nullok
    pam_try "$service: nullok, unenrolled user, password only" 0 "$service" "$BOB" "$BOB_PW"
    pam_try "$service: password + valid code" 0 "$service" "$ALICE" "$ALICE_PW" "$(fresh_code)"
    pam_try "$service: password + wrong code refused" 1 "$service" "$ALICE" "$ALICE_PW" "$(wrong_code)"
    pam_try "$service: wrong password refused" 1 "$service" "$ALICE" "wrong-$ALICE_PW" "$(wrong_code)"
    # No code is checked and no failure counted without the password (one failure so far: the wrong code).
    for _ in 1 2 3 4 5; do pam_try "$service: wrong password with any code refused" 1 "$service" "$ALICE" "wrong-$ALICE_PW" "$(wrong_code)"; done
    [[ $(failures_of "$ALICE") == 1 ]] && pass "$service: wrong passwords counted no failure" ||
        fail "$service: wrong passwords counted no failure" "failures=$(failures_of "$ALICE"), wanted 1"
done
ALICE=$(new_user_name)
create_user "$ALICE" "$ALICE_PW"
enroll "$ALICE" || die "enrollment of $ALICE failed"

# panel-one-field: password and code in one answer, split before the password module.
sed -E "s#pam_swift2fa\\.so#$S2FA_MODULE store=$STORE#" "$REPO_ROOT/pam.d-example/panel-one-field" >"$PAM_DIR/panel1"
[[ $(grep -c "$S2FA_MODULE" "$PAM_DIR/panel1") == 2 ]] && pass "panel-one-field: two module lines" ||
    fail "panel-one-field: two module lines" "$(grep -E '^(auth|account)' "$PAM_DIR/panel1" | tr '\n' ';')"
for _ in 1 2 3 4 5 6; do
    pam_try "panel one-field: wrong password with any code refused" 1 panel1 "$ALICE" "wrong-$ALICE_PW$(wrong_code)"
done
[[ $(failures_of "$ALICE") == 0 ]] && pass "panel one-field: wrong passwords counted no failure" ||
    fail "panel one-field: wrong passwords counted no failure" "failures=$(failures_of "$ALICE")"
pam_try "panel one-field: password immediately followed by the code" 0 panel1 "$ALICE" "$ALICE_PW$(fresh_code)"
pam_try "panel one-field: password followed by a wrong code refused" 1 panel1 "$ALICE" "$ALICE_PW$(wrong_code)"
pam_try "panel one-field: unenrolled user types the password only (nullok)" 0 panel1 "$BOB" "$BOB_PW" "$BOB_PW"
