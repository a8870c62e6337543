#!/usr/bin/env bash
# The setuid caller's environment cannot steer a fleet login: a real setuid `su`, run by an
# unprivileged user, with PGHOSTADDR, PGHOST, PGPORT, PGSERVICEFILE/PGSERVICE, PGSSLMODE,
# PGSSLROOTCERT, PGPASSFILE, PGOPTIONS, PGLOCALEDIR, LANGUAGE and LC_ALL all pointing at
# places that user controls, where a fake server of theirs (Tests/fleet/fake_pooler.py)
# answers `accepted-totp` to anything (on 127.0.0.2 and in their socket directory). The
# login behaves exactly as with a clean environment: the wrong code is refused, the right
# one accepted, the database records the same result, and the fake server sees nothing.
# (With libpq in the login process, PGHOSTADDR alone gave a shell for a wrong code.)
# Real PostgreSQL and PgBouncer (Tests/fleet/pg.sh); private mount namespace and /etc/pam.d.
# shellcheck disable=SC2015
export TEST_NAME=fleet_su_env
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds su expect oathtool python3 useradd userdel chpasswd psql runuser pgbouncer msgfmt
resolve_artifacts
setup_workdir
private_pam_dir

FAKE=$REPO_ROOT/Tests/fleet/fake_pooler.py
LOGIN=$E2E_DIR/lib/su_login.exp

start_fleet_database
PORT=$(cat "$PGDIR/port")
printf 'database = %s\npooler = %s\ndatabase_timeout = 2\n' "$(bash "$PG" conninfo "$PGDIR" server_a)" "$POOLER" >"$WORK/server.conf"
chmod 0600 "$WORK/server.conf"
printf 'database = %s\n' "$(bash "$PG" conninfo "$PGDIR" twofa_admin)" >"$WORK/admin.conf"
chmod 0600 "$WORK/admin.conf"

TARGET=$(new_user_name)
TARGET_PW=$(random_password)
create_user "$TARGET" "$TARGET_PW"
ATTACKER=$(new_user_name)
create_user "$ATTACKER" "$(random_password)"
out=$("$S2FA_SETUP" enroll --user "$TARGET" --pending --json --config "$WORK/admin.conf") || die "enroll --pending failed"
SECRET=$(json_field secret <<<"$out")
"$S2FA_SETUP" confirm --user "$TARGET" --code "$(oathtool --totp -b "$SECRET")" --config "$WORK/admin.conf" >/dev/null ||
    die "confirm failed"

cat >"$PAM_DIR/su" <<CONF
auth     required  pam_unix.so
auth     required  $S2FA_MODULE config=$WORK/server.conf
account  required  pam_unix.so
session  required  pam_unix.so
CONF
chmod 0644 "$PAM_DIR/su"

# The attacker's places: a socket directory, a service file, a password file, a root
# certificate, and a message catalog for libpq whose strings are printf formats.
EVIL=$(mktemp -d /tmp/s2fa-e2e-evil.XXXXXX)
E2E_CLEANUP_CMDS+=("rm -rf -- '$EVIL'")
chown "$ATTACKER": "$EVIL"
runuser -u "$ATTACKER" -- bash -c "
    set -e
    printf '[evil]\nhost=127.0.0.2\nport=$PORT\ndbname=twofa\nuser=server_a\n' >'$EVIL/pg_service.conf'
    printf '*:*:*:*:stolen\n' >'$EVIL/pgpass'; chmod 0600 '$EVIL/pgpass'
    printf 'not a certificate\n' >'$EVIL/root.crt'
    mkdir -p '$EVIL/locale/xx/LC_MESSAGES'
    printf 'msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\\\n\"\n\nmsgid \"connection to server at \\\\\"%%s\\\\\" (%%s), port %%s failed: \"\nmsgstr \"%%n%%n%%n%%n%%s%%s%%s%%s%%s\"\n' >'$EVIL/po'
    msgfmt -o '$EVIL/locale/xx/LC_MESSAGES/libpq5-15.mo' '$EVIL/po'
"
# The fake server, the attacker's own process: TCP on 127.0.0.2 at the database's port,
# and sockets in their directory for that port, the pooler's and the default one.
start_bg "$WORK/fake.out" runuser -u "$ATTACKER" -- python3 "$FAKE" --tcp "127.0.0.2:$PORT" \
    --unix "$EVIL/.s.PGSQL.$PORT" --unix "$EVIL/.s.PGSQL.6432" --unix "$EVIL/.s.PGSQL.5432" --log "$EVIL/fake.log" honest
for _ in $(seq 1 100); do [[ -f $EVIL/fake.log.ready ]] && break; sleep 0.05; done
[[ -f $EVIL/fake.log.ready ]] || die "the fake server did not start"
# The fake answers accepted-totp to anything: what the module must never believe.
python3 - "$EVIL/.s.PGSQL.6432" <<'PY' && pass "the fake server answers accepted-totp (what it would tell the module)" || fail "the fake server answers"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack("!ii", 8, 196608))
data = b""
s.settimeout(3)
while b"Z\0\0\0\x05I" not in data: data += s.recv(4096)
s.sendall(b"S\0\0\0\x04")
data = b""
while b"Z\0\0\0\x05I" not in data: data += s.recv(4096)
sys.exit(0 if b"accepted-totp" in data else 1)
PY
for _ in $(seq 1 100); do [[ -s $EVIL/fake.log ]] && break; sleep 0.05; done
: >"$EVIL/fake.log"

hostile=(PGHOSTADDR=127.0.0.2 PGHOST="$EVIL" PGPORT="$PORT" PGSERVICEFILE="$EVIL/pg_service.conf" PGSERVICE=evil
    PGSSLMODE=disable PGSSLROOTCERT="$EVIL/root.crt" PGPASSFILE="$EVIL/pgpass" PGOPTIONS="-c search_path=evil"
    PGLOCALEDIR="$EVIL/locale" LANGUAGE=xx LC_ALL="$EVIL/locale")
attempt() { # attempt clean|hostile CODE -> prints "RC RESULT"
    local env_args=() rc=0
    [[ $1 == hostile ]] && env_args=("${hostile[@]}")
    runuser -u "$ATTACKER" -- env -i PATH=/usr/bin:/bin HOME="$EVIL" TERM=dumb "${env_args[@]}" \
        expect -f "$LOGIN" "$TARGET_PW" "$2" su "$TARGET" -c 'echo s2fa-su-ok' >"$WORK/su-$1.log" 2>&1 || rc=$?
    echo "$rc $(fleet_audit "$TARGET")"
}

WRONG=$(oathtool --totp -b "$SECRET" -N "now + 300 seconds")
for variant in clean hostile; do
    result=$(attempt "$variant" "$WRONG")
    [[ $result == "1 rejected" ]] && pass "$variant environment: a wrong code is refused (su exit 1, database: rejected)" ||
        fail "$variant environment: a wrong code is refused" "$result; $(tail -n 3 "$WORK/su-$variant.log" | tr '\n' ' ')"
done
# Each variant gets a code of a step not used yet: the next step's, once the step changes.
next_step_code() {
    local step=$(($(date +%s) / 30))
    while (($(date +%s) / 30 == step)); do sleep 0.5; done
    oathtool --totp -b "$SECRET" -N "now + 30 seconds"
}
for variant in clean hostile; do
    result=$(attempt "$variant" "$(next_step_code)")
    [[ $result == "0 accepted-totp" ]] && pass "$variant environment: the right code is accepted (su exit 0, database: accepted-totp)" ||
        fail "$variant environment: the right code is accepted" "$result; $(tail -n 3 "$WORK/su-$variant.log" | tr '\n' ' ')"
done
[[ ! -s $EVIL/fake.log ]] && pass "the attacker's fake server saw no connection" || fail "the attacker's fake server saw no connection" "$(cat "$EVIL/fake.log")"
