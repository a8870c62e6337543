#!/usr/bin/env bash
# End-to-end: the admin recipes in pam.d-example (trusted-network, break-glass,
# group-rollout, exempt-group) through real libpam with pamtester, as services of a private /etc/pam.d.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=recipes
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds pamtester setpriv oathtool python3 useradd userdel chpasswd groupadd groupdel gpasswd
resolve_artifacts
setup_workdir
private_pam_dir
private_syslog

create_alice_and_bob
PAM_TRY_UID=$(id -u "$BOB")

# recipe EXAMPLE SERVICE SED-EXPRESSION [OPTIONS]: installs the example with the module
# pointed at the one under test and the store (and OPTIONS, e.g. nullok), plus the
# recipe's own substitution.
recipe() {
    install_pam_service "$2" "$1" "${@:4}"
    sed -i -E "$3" "$PAM_DIR/$2"
}

# --- trusted-network: 192.0.2.0/24 skips the code, other addresses are asked.
printf '+ : ALL : 192.0.2.0/24\n- : ALL : ALL\n' >"$WORK/access.conf"
recipe trusted-network trusted "s#accessfile=[^ ]*#accessfile=$WORK/access.conf#" nullok
grep -q "accessfile=$WORK/access.conf" "$PAM_DIR/trusted" || fail "trusted-network: the recipe has its pam_access line"
PAM_TRY_RHOST=192.0.2.10 pam_try "trusted-network: trusted address, password only" 0 trusted "$ALICE" "$ALICE_PW"
PAM_TRY_RHOST=192.0.2.10 pam_try "trusted-network: trusted address, wrong password refused" 1 trusted "$ALICE" "wrong-$ALICE_PW"
PAM_TRY_RHOST=198.51.100.7 pam_try "trusted-network: other address, password only refused" 1 trusted "$ALICE" "$ALICE_PW" ""
PAM_TRY_RHOST=198.51.100.7 pam_try "trusted-network: other address, password + code" 0 trusted "$ALICE" "$ALICE_PW" "$(fresh_code)"
before=$(failures_of "$ALICE")
for _ in 1 2 3; do PAM_TRY_RHOST=198.51.100.7 pam_try "trusted-network: other address, wrong password refused" 1 trusted "$ALICE" "wrong-$ALICE_PW" "$(wrong_code)"; done
[[ $(failures_of "$ALICE") == "$before" ]] && pass "trusted-network: wrong passwords count no failure" || fail "trusted-network: wrong passwords count no failure"

# --- break-glass: the named account skips the code; others are asked.
GLASS=$(new_user_name)
GLASS_PW=$(random_password)
create_user "$GLASS" "$GLASS_PW"
SECRET_ALICE=$SECRET
enroll "$GLASS" || die "enrollment of $GLASS failed"
SECRET=$SECRET_ALICE
recipe break-glass glass "s#user = breakglass#user = $GLASS#" nullok
pam_try "break-glass: the break-glass account (enrolled), password only" 0 glass "$GLASS" "$GLASS_PW"
pam_try "break-glass: the break-glass account, wrong password refused" 1 glass "$GLASS" "wrong-$GLASS_PW"
pam_try "break-glass: another enrolled user, password only refused" 1 glass "$ALICE" "$ALICE_PW" ""
sleep $((31 - $(date +%s) % 30)) # the next time step: the trusted-network login used this one
pam_try "break-glass: another enrolled user, password + code" 0 glass "$ALICE" "$ALICE_PW" "$(fresh_code)"
pam_try "break-glass: unenrolled user, password only (nullok)" 0 glass "$BOB" "$BOB_PW"

# --- group-rollout: members of the group are asked (no nullok), others are not.
GROUP=s2fa-e2e-g$(random_suffix)
groupadd "$GROUP"
E2E_CLEANUP_CMDS+=("groupdel $GROUP >/dev/null 2>&1")
usermod -a -G "$GROUP" "$ALICE"
recipe group-rollout rollout "s#ingroup 2fa-required#ingroup $GROUP#"
pam_try "group-rollout: member, password only refused" 1 rollout "$ALICE" "$ALICE_PW" ""
pam_try "group-rollout: member, password + wrong code refused" 1 rollout "$ALICE" "$ALICE_PW" "$(wrong_code)"
pam_try "group-rollout: non-member (not enrolled), password only" 0 rollout "$BOB" "$BOB_PW"
pam_try "group-rollout: non-member (enrolled), password only" 0 rollout "$GLASS" "$GLASS_PW"
pam_try "group-rollout: non-member, wrong password refused" 1 rollout "$BOB" "wrong-$BOB_PW"
usermod -a -G "$GROUP" "$BOB"
pam_try "group-rollout: member not enrolled refused (no nullok)" 1 rollout "$BOB" "$BOB_PW" "000000"
sleep $((31 - $(date +%s) % 30))
pam_try "group-rollout: member, password + code" 0 rollout "$ALICE" "$ALICE_PW" "$(fresh_code)"

# --- exempt-group (the module's exempt_group= and require_group=): PAM_IGNORE, so the
# password module still decides.
EXEMPT=s2fa-e2e-x$(random_suffix)
groupadd "$EXEMPT"
E2E_CLEANUP_CMDS+=("groupdel $EXEMPT >/dev/null 2>&1")
usermod -a -G "$EXEMPT" "$GLASS"
usermod -a -G "$GROUP" "$GLASS" # in scope of require_group: exempt by exempt_group alone
recipe exempt-group exempt "s#^\$##" nullok "exempt_group=$EXEMPT" "require_group=$GROUP"
grep -q "exempt_group=$EXEMPT require_group=$GROUP" "$PAM_DIR/exempt" || fail "exempt-group: the recipe has its options"
from=$(($(wc -l <"$SYSLOG") + 1))
pam_try "exempt-group: exempt_group member (enrolled), password only" 0 exempt "$GLASS" "$GLASS_PW"
sleep 0.2 # the listener writes asynchronously
module_log_lines "$from" | grep "result=exempt reason=\"member of exempt_group $EXEMPT\"" >/dev/null &&
    pass "exempt-group: logged result=exempt, member of exempt_group" || fail "exempt-group: logged result=exempt" "$(module_log_lines "$from")"
pam_try "exempt-group: exempt_group member, wrong password refused" 1 exempt "$GLASS" "wrong-$GLASS_PW"
gpasswd -d "$BOB" "$GROUP" >/dev/null
pam_try "exempt-group: outside require_group (not enrolled), password only" 0 exempt "$BOB" "$BOB_PW"
pam_try "exempt-group: require_group member (enrolled), password only refused" 1 exempt "$ALICE" "$ALICE_PW" ""
sleep $((31 - $(date +%s) % 30))
pam_try "exempt-group: require_group member, password + code" 0 exempt "$ALICE" "$ALICE_PW" "$(fresh_code)"

# --- the event hook (hooks-example/notify-logger, named by notify = in the configuration
# file): a backup code used at a login becomes one syslog line with the event's fields.
install -d -m 0755 "$WORK/hooks"
install -m 0755 "$REPO_ROOT/hooks-example/notify-logger" "$WORK/hooks/notify-logger"
printf 'notify = %s\n' "$WORK/hooks/notify-logger" >"$WORK/hook.conf"
chmod 0644 "$WORK/hook.conf"
recipe sshd hooked "s#^\$##" "config=$WORK/hook.conf"
from=$(($(wc -l <"$SYSLOG") + 1))
# BACKUP_CODES are those of GLASS, the last user enrolled.
pam_try "notify: password + backup code logs in" 0 hooked "$GLASS" "$GLASS_PW" "${BACKUP_CODES[0]}"
for _ in $(seq 50); do
    tail -n +"$from" "$SYSLOG" | grep 'swift-2fa-event' >/dev/null && break
    sleep 0.1
done
line=$(tail -n +"$from" "$SYSLOG" | grep 'swift-2fa-event' | head -1)
[[ $line == *"event=backup-code-used user=$GLASS service=hooked"* ]] &&
    pass "notify: hooks-example/notify-logger logged the backup code's use" || fail "notify: the hook's syslog line" "${line:-none}"
