#!/usr/bin/env bash
# End-to-end in fleet mode: a real sshd and the OpenSSH client (lib/ssh_login.exp), the
# module configured by a configuration file whose `database =` names a throwaway
# PostgreSQL and whose `pooler =` the PgBouncer in front of it (Tests/fleet/pg.sh, both
# stopped at the end); the module reaches the database only through PgBouncer, the
# command directly with libpq. Password + code logs in, the code is then `replayed`, and
# with the database or PgBouncer stopped logins fail closed, even with nullok.
# Runs in a private mount namespace; the host's /etc/pam.d is never touched.
# shellcheck disable=SC2015
export TEST_NAME=fleet_ssh
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds sshd ssh ssh-keygen expect oathtool python3 useradd userdel chpasswd setsid psql runuser pgbouncer
resolve_artifacts
setup_workdir
private_pam_dir

start_fleet_database
write_config() { # write_config FILE ROLE
    printf 'database = %s\npooler = %s\ndatabase_timeout = 2\n' "$(bash "$PG" conninfo "$PGDIR" "$2")" "$POOLER" >"$1"
    chmod 0600 "$1"
}
write_config "$WORK/server.conf" server_a
write_config "$WORK/admin.conf" twofa_admin

ALICE=$(new_user_name)
ALICE_PW=$(random_password)
create_user "$ALICE" "$ALICE_PW"
out=$("$S2FA_SETUP" enroll --user "$ALICE" --pending --json --config "$WORK/server.conf") || die "enroll --pending failed"
SECRET=$(json_field secret <<<"$out")
"$S2FA_SETUP" confirm --user "$ALICE" --code "$(oathtool --totp -b "$SECRET")" --config "$WORK/server.conf" >/dev/null ||
    die "confirm failed"
"$S2FA_SETUP" status --user "$ALICE" --config "$WORK/admin.conf" | grep 'status: *enrolled' >/dev/null &&
    pass "enrolled in the database through the command (server role: enroll --pending, confirm)" ||
    fail "enrolled in the database through the command"

start_sshd

install_pam_service sshd sshd "config=$WORK/server.conf"
CODE=$(oathtool --totp -b "$SECRET" -N "now + 30 seconds")
ssh_try "fleet: password + valid code logs in" 0 "$ALICE" "$ALICE_PW" "$CODE"
[[ $(fleet_audit "$ALICE") == accepted-totp ]] && pass "fleet: the database recorded accepted-totp" || fail "fleet: the database recorded accepted-totp" "$(fleet_audit "$ALICE")"
ssh_try "fleet: the same code is refused" 1 "$ALICE" "$ALICE_PW" "$CODE"
[[ $(fleet_audit "$ALICE") == replayed ]] && pass "fleet: the refusal was the database's replayed" || fail "fleet: the refusal was the database's replayed" "$(fleet_audit "$ALICE")"
[[ -z $(ls -A "$STORE") ]] && pass "fleet: the file store was not used" || fail "fleet: the file store was not used" "$(ls -A "$STORE")"

install_pam_service sshd sshd nullok "config=$WORK/server.conf"
bash "$PG" halt "$PGDIR" >/dev/null 2>&1
# No code prompt comes (the database is asked first); a module that took the outage for
# "not enrolled" under nullok would let the password alone in (exit status 0).
ssh_try "fleet: database stopped: the login fails closed, even with nullok" 1 "$ALICE" "$ALICE_PW" -
bash "$PG" pooler-stop "$PGDIR" server_a >/dev/null 2>&1
ssh_try "fleet: PgBouncer stopped too: the login fails closed, even with nullok" 1 "$ALICE" "$ALICE_PW" -
