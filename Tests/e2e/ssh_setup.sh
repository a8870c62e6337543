#!/usr/bin/env bash
# End-to-end: `swift-2fa-setup ssh check|enable|disable` on /etc/ssh itself (a private copy
# bind-mounted over it, holding Debian 12's shipped sshd_config from Tests/Fixtures), and a
# real sshd started from that configuration: what check says is what a login does.
# Runs in a private mount namespace; the host's /etc/ssh and /etc/pam.d are never touched.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=ssh_setup
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds sshd ssh ssh-keygen expect oathtool python3 useradd userdel chpasswd setsid sha256sum
resolve_artifacts
setup_workdir
private_pam_dir

ssh_sums() { (cd /etc/ssh && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
HOST_SSH_BEFORE=$(ssh_sums)

# A private /etc/ssh: the host's (for its moduli and host keys), with Debian's shipped
# sshd_config and an empty sshd_config.d.
SSH_DIR=$WORK/etc-ssh
cp -a /etc/ssh "$SSH_DIR"
install -m 0644 "$REPO_ROOT/Tests/Fixtures/debian12-sshd_config" "$SSH_DIR/sshd_config"
rm -rf "$SSH_DIR/sshd_config.d"
install -d -m 0755 "$SSH_DIR/sshd_config.d"
mount --bind "$SSH_DIR" /etc/ssh
E2E_CLEANUP_CMDS+=("umount /etc/ssh 2>/dev/null")
ssh-keygen -A >/dev/null   # host keys where the copy has none
if [[ ! -d /run/sshd ]]; then
    install -d -m 0755 /run/sshd
    E2E_CLEANUP_CMDS+=("rmdir /run/sshd 2>/dev/null")
fi
DROP_IN=/etc/ssh/sshd_config.d/00-swift-2fa.conf
SSHD_PORT=$(free_port)

# serve: (re)starts sshd from /etc/ssh/sshd_config as the system would, on 127.0.0.1 only.
serve() {
    [[ -n ${SSHD_PGID:-} ]] && stop_sshd
    start_bg "$WORK/sshd.log" "$(command -v sshd)" -D -e -f /etc/ssh/sshd_config \
        -o Port="$SSHD_PORT" -o ListenAddress=127.0.0.1 -o PidFile=none
    SSHD_PGID=$BG_PID
    wait_for_port "$SSHD_PORT" 15 || { cat "$WORK/sshd.log" >&2; die "sshd did not start on port $SSHD_PORT"; }
}

# setup_rc NAME WANTED ARGS...: runs swift-2fa-setup ARGS; output in $WORK/setup.out.
setup_rc() {
    local name=$1 wanted=$2 rc=0
    shift 2
    "$S2FA_SETUP" "$@" >"$WORK/setup.out" 2>&1 || rc=$?
    [[ $rc == "$wanted" ]] || sed 's/^/    /' "$WORK/setup.out" >&2
    expect_rc "$name" "$wanted" "$rc"
}

create_alice_and_bob
install_pam_service sshd sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/alice_key"
home=$(getent passwd "$ALICE" | cut -d: -f6)
install -d -m 0700 -o "$ALICE" -g "$(id -gn "$ALICE")" "$home/.ssh"
install -m 0600 -o "$ALICE" -g "$(id -gn "$ALICE")" "$WORK/alice_key.pub" "$home/.ssh/authorized_keys"

# --- Debian's shipped file: a key alone logs in, and check says so -------------------
setup_rc "check: Debian's shipped sshd_config fails" 1 ssh check
grep -q "^  /etc/ssh/sshd_config:[0-9]*: KbdInteractiveAuthentication no$" "$WORK/setup.out" &&
    pass "check: names the line of KbdInteractiveAuthentication no" || fail "check: names the line of KbdInteractiveAuthentication no" "$(cat "$WORK/setup.out")"
serve
ssh_try "Debian's file: a key alone logs in (the bypass check warns about)" 0 "$ALICE" - - "$WORK/alice_key"

# --- enable: password + code for every login ---------------------------------------
setup_rc "enable: writes the drop-in, sshd -t and -T agree" 0 ssh enable
[[ -f $DROP_IN && $(stat -c '%a %U' "$DROP_IN") == "644 root" ]] && pass "enable: $DROP_IN, mode 0644, root's" ||
    fail "enable: $DROP_IN, mode 0644, root's" "$(stat -c '%a %U' "$DROP_IN" 2>&1)"
grep -q "systemctl reload ssh" "$WORK/setup.out" && pass "enable: prints the reload command" || fail "enable: prints the reload command"
setup_rc "check: passes after enable" 0 ssh check
serve
ssh_try "after enable: password + valid code logs in" 0 "$ALICE" "$ALICE_PW" "$(fresh_code)"
ssh_try "after enable: wrong code refused" 1 "$ALICE" "$ALICE_PW" "$(wrong_code)"
ssh_try "after enable: a key alone does not log in (the password is asked)" 3 "$ALICE" - - "$WORK/alice_key"

# --- a later Match undoes it for one user: check names it, and the key gets in ------
printf 'Match User %s\n    AuthenticationMethods publickey\n' "$ALICE" >>/etc/ssh/sshd_config
setup_rc "check: the global settings still pass with the Match block" 0 ssh check
grep -q "^WARNING: 'Match User $ALICE'" "$WORK/setup.out" && pass "check: warns about the Match block" ||
    fail "check: warns about the Match block" "$(cat "$WORK/setup.out")"
setup_rc "check --user: fails for the user the Match block takes" 1 ssh check --user "$ALICE"
match_line=$(grep -n "^    AuthenticationMethods publickey" /etc/ssh/sshd_config | cut -d: -f1)
grep -q "^  /etc/ssh/sshd_config:$match_line: AuthenticationMethods publickey (in 'Match User $ALICE'" "$WORK/setup.out" &&
    pass "check --user: names the Match block's line" || fail "check --user: names the Match block's line" "$(cat "$WORK/setup.out")"
setup_rc "check --user: passes for another user" 0 ssh check --user "$BOB"
serve
ssh_try "with the Match block: a key alone logs in again for that user" 0 "$ALICE" - - "$WORK/alice_key"
sed -i '/^Match User /,$d' /etc/ssh/sshd_config

# --- KbdInteractiveAuthentication no read before the drop-in: enable rolls back ------
setup_rc "disable: removes the drop-in" 0 ssh disable
[[ ! -e $DROP_IN ]] && pass "disable: $DROP_IN is gone" || fail "disable: $DROP_IN is gone"
cp /etc/ssh/sshd_config "$WORK/sshd_config.debian"
{ echo "KbdInteractiveAuthentication no"; cat "$WORK/sshd_config.debian"; } >/etc/ssh/sshd_config
setup_rc "enable: refused when an earlier line wins (rolled back)" 74 ssh enable
[[ -z $(ls -A /etc/ssh/sshd_config.d) ]] && pass "enable: nothing left in sshd_config.d after the roll-back" ||
    fail "enable: nothing left in sshd_config.d after the roll-back" "$(ls -A /etc/ssh/sshd_config.d)"
cp "$WORK/sshd_config.debian" /etc/ssh/sshd_config
setup_rc "check: fails again after disable" 1 ssh check
stop_sshd

umount /etc/ssh
[[ "$(ssh_sums)" == "$HOST_SSH_BEFORE" ]] && pass "host: /etc/ssh byte-identical before and after" ||
    fail "host: /etc/ssh byte-identical before and after"
