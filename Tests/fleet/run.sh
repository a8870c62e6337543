#!/usr/bin/env bash
# Fleet-store tests against a real PostgreSQL started by pg.sh (run as root, after
# `swift build`): the SQL codes, replay and throttle across two server roles, exactly-once
# under 30 parallel calls, admin reset and unlock, the server role's rights and the
# enrollment right, who may connect, the migrations (a new database, the upgrade of a
# version 1 and of a version 2 database made by the files before migrations), fail-closed
# timeouts, TLS with a client certificate, a standby that may not answer "not enrolled",
# and failover to a synchronous standby.
# Prints one line per check and "N passed, M failed"; exits non-zero on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
setup=${SETUP:-$root/.build/debug/swift-2fa-setup}
pg=$here/pg.sh
[ -x "$setup" ] || { echo "run.sh: build swift-2fa-setup first ($setup)" >&2; exit 1; }
# pg.sh loads the schema with this command too.
export S2FA_SETUP=$setup
# The schema version: the highest migration number (fleet/schema/migrations/NNN-name.sql).
migrations=$(cd "$root/fleet/schema/migrations" && ls -- [0-9][0-9][0-9]-*.sql)
version=$(sed -n 's/^0*\([0-9][0-9]*\)-.*/\1/p' <<<"$migrations" | sort -n | tail -n 1)

dir=$(mktemp -d /tmp/swift-2fa-fleet.XXXXXX)
# Root's files for the command: a configuration file and an empty store.
work=$(mktemp -d /tmp/swift-2fa-fleet-work.XXXXXX)
mkdir -m 0700 "$work/store"
blackhole_pid=
cleanup() {
    [ -n "$blackhole_pid" ] && kill "$blackhole_pid" 2>/dev/null
    "$pg" stop "$dir" >/dev/null 2>&1 || true
    rm -rf -- "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1)); echo "ok   $1"
    else
        failed=$((failed + 1)); echo "FAIL $1: expected '$2', got '$3'"
    fi
}
sql() { # ROLE SQL  (one value, unaligned); a hung call ends after 60 s
    timeout 60 "$pg" psql "$dir" "$1" -At -c "$2" 2>&1
}
sqlstate() { # CONNINFO SQL -> the SQLSTATE of the error, or "no error"
    local out
    out=$(timeout 60 psql -X -At -v VERBOSITY=verbose "$1" -c "$2" 2>&1) && { echo "no error"; return; }
    sed -n 's/^\(ERROR\|FATAL\): *\([0-9A-Z]\{5\}\):.*/\2/p' <<<"$out" | head -n 1
}
verify() { # ROLE USER ANSWER -> outcome
    sql "$1" "SELECT outcome FROM swift2fa.verify('$2', '$3', 'sshd', '192.0.2.1')"
}
enroll() { # USER HEXSECRET [ALGORITHM DIGITS]
    sql twofa_admin "SELECT swift2fa.admin_enroll('$1', '\\x$2'::bytea, '${3:-SHA1}', ${4:-6}, 30, 0, ARRAY['abcde-fghjk'], false)" >/dev/null
}
code() { # HEXSECRET [OATHTOOL-OPTIONS] -> the current code
    oathtool --totp "$@" 2>/dev/null | tail -n 1
}
# A 6-digit answer that is no code of SECRET within ±2 steps.
wrong() {
    local candidates
    candidates=$(oathtool --totp -w 4 --now="@$(( $(date +%s) - 60 ))" "$1")
    for guess in 123456 654321 111111 222222; do
        grep -qx "$guess" <<<"$candidates" || { echo "$guess"; return; }
    done
}
has() { # TEXT PATTERN -> "yes" when TEXT contains PATTERN
    grep -q -- "$2" <<<"$1" && echo yes
}
random_hex() { od -An -N20 -tx1 /dev/urandom | tr -d ' \n'; }

"$pg" start "$dir" || { echo "run.sh: cannot start PostgreSQL" >&2; exit 1; }
admin=$("$pg" conninfo "$dir" twofa_admin)

# The schema and its rights as pg_dump shows them (without the random key of its \restrict
# lines), the database's ACL, and the migrations recorded.
snapshot() { # CONNINFO
    pg_dump --schema=swift2fa -d "$1" 2>&1 | grep -v '^\\\(un\)\{0,1\}restrict '
    psql -X -At "$1" -c "SELECT datacl FROM pg_database WHERE datname = current_database();
        SELECT number, name, applied_at FROM swift2fa.schema_migrations ORDER BY number" 2>&1
}
# Every migration is applied, in number order, and recorded.
check "a new database records every migration as applied by db init" "$(tr '\n' ' ' <<<"$migrations")" \
    "$(sql twofa_admin "SELECT string_agg(name, ' ' ORDER BY number) || ' ' FROM swift2fa.schema_migrations WHERE applied_at IS NOT NULL")"
check "the schema version is the highest migration number" "$version" "$(sql twofa_admin "SELECT version FROM swift2fa.schema_version")"
# db init is idempotent and leaves the version at the command's.
before_init=$(snapshot "$admin")
check "db init on a loaded schema" "0" "$("$setup" db init --database "$admin" >/dev/null 2>&1; echo $?)"
check "db init twice" "schema swift2fa is at version $version; admin role: twofa_admin" "$("$setup" db init --database "$admin" 2>&1)"
check "db init again changes nothing (schema, rights, data, migrations recorded)" "$before_init" "$(snapshot "$admin")"
# Two db init at once on a new database: the migration lock makes one wait for the other;
# both succeed, and every migration is applied and recorded once.
sql postgres "CREATE DATABASE twofa_race OWNER twofa_admin" >/dev/null
race="$admin dbname=twofa_race"
"$setup" db init --database "$race" >"$work/race1.log" 2>&1 &
first=$!
"$setup" db init --database "$race" >"$work/race2.log" 2>&1 &
second=$!
race_status=0; wait "$first" || race_status=$?
race_status2=0; wait "$second" || race_status2=$?
check "two db init at once on a new database both succeed" "0 0" "$race_status $race_status2"
check "two db init at once: every migration applied and recorded once" "$(tr '\n' ' ' <<<"$migrations")$version" \
    "$(psql -X -At "$race" -c "SELECT string_agg(name, ' ' ORDER BY number) || ' ' || max(number) FROM swift2fa.schema_migrations WHERE applied_at IS NOT NULL" 2>&1)"
status_out=$("$setup" db status --database "$admin" 2>&1)
check "db status: the database's and the command's schema version agree" "schema version:    $version (this command: $version)" \
    "$(grep '^schema version:' <<<"$status_out")"
check "db status lists the server roles and the enrollment right" "server roles:      server_a (enroll), server_b" \
    "$(grep '^server roles:' <<<"$status_out")"
check "db status: only the admin and granted roles connect" "who may connect:   the admin and the roles granted CONNECT" \
    "$(grep '^who may connect:' <<<"$status_out")"

# RFC 6238 vectors (T = 59 s, 8 digits) and oathtool for SHA1, SHA256 and SHA512.
key1=3132333435363738393031323334353637383930
key256=${key1}313233343536373839303132
key512=${key1}${key1}${key1}31323334
check "RFC 6238 SHA1" "94287082" "$(sql twofa_admin "SELECT swift2fa.totp_code('\\x$key1', 'SHA1', 8, 1)")"
check "RFC 6238 SHA256" "46119246" "$(sql twofa_admin "SELECT swift2fa.totp_code('\\x$key256', 'SHA256', 8, 1)")"
check "RFC 6238 SHA512" "90693936" "$(sql twofa_admin "SELECT swift2fa.totp_code('\\x$key512', 'SHA512', 8, 1)")"
for algorithm in SHA1 SHA256 SHA512; do
    key=$(random_hex)
    same=yes
    for t in 0 1111111109 1234567890 2000000000 20000000000; do
        for digits in 6 8; do
            expected=$(oathtool --totp="$algorithm" --digits=$digits --now="@$t" "$key")
            actual=$(sql twofa_admin "SELECT swift2fa.totp_code('\\x$key', '$algorithm', $digits, $t / 30)")
            [ "$expected" = "$actual" ] || same="no ($algorithm t=$t digits=$digits: $expected vs $actual)"
        done
    done
    check "SQL codes match oathtool, $algorithm" "yes" "$same"
done

# A code accepted for server A is replayed for server B.
alice=$(random_hex)
enroll alice "$alice"
c=$(code "$alice")
check "server A accepts a fresh code" "accepted-totp" "$(verify server_a alice "$c")"
check "server B: the same code is replayed" "replayed" "$(verify server_b alice "$c")"
check "audit names both servers" "server_a accepted-totp|server_b replayed" \
    "$(sql twofa_admin "SELECT string_agg(server || ' ' || result, '|' ORDER BY id) FROM swift2fa.audit WHERE user_name = 'alice' AND service = 'sshd'")"

# Wrong codes from A and B count toward one throttle.
bob=$(random_hex)
enroll bob "$bob"
w=$(wrong "$bob")
check "A: wrong code 1" "rejected" "$(verify server_a bob "$w")"
check "B: wrong code 2" "rejected" "$(verify server_b bob "$w")"
check "A: wrong code 3 starts the back-off" "3|true" \
    "$(sql server_a "SELECT failures || '|' || (throttled_until > 0) FROM swift2fa.verify('bob', '$w', 'sshd', NULL)")"
check "B: a right code is refused unchecked while throttled" "throttled" "$(verify server_b bob "$(code "$bob")")"
check "B: a backup code still works while throttled" "accepted-backup" "$(verify server_b bob "ABCDE-FGHJK")"

# Admin unlock and reset apply to both servers.
sql twofa_admin "SELECT swift2fa.set_setting('lock_after', 3)" >/dev/null
carol=$(random_hex)
enroll carol "$carol"
w=$(wrong "$carol")
verify server_a carol "$w" >/dev/null; verify server_b carol "$w" >/dev/null; verify server_a carol "$w" >/dev/null
sql twofa_admin "SELECT swift2fa.set_setting('lock_after', 100)" >/dev/null
check "locked on A" "locked" "$(verify server_a carol "$(code "$carol")")"
check "locked on B" "locked" "$(verify server_b carol "$(code "$carol")")"
check "admin unlock" "3|true" "$(sql twofa_admin "SELECT failures || '|' || locked FROM swift2fa.unlock('carol')")"
check "after unlock: B accepts" "accepted-totp" "$(verify server_b carol "$(code "$carol")")"
check "after unlock: A sees the replay" "replayed" "$(verify server_a carol "$(code "$carol")")"
check "admin reset" "t" "$(sql twofa_admin "SELECT swift2fa.reset('carol')")"
check "after reset: A" "not-enrolled" "$(verify server_a carol "$(code "$carol")")"
check "after reset: B" "not-enrolled" "$(verify server_b carol "$(code "$carol")")"

# 30 parallel calls with one code, spread over A and B: exactly one success.
dave=$(random_hex)
enroll dave "$dave"
c=$(code "$dave")
for i in $(seq 1 30); do
    role=server_a; [ $((i % 2)) -eq 0 ] && role=server_b
    verify "$role" dave "$c" >"$dir/parallel.$i" &
done
wait
check "30 parallel logins, one code: 1 accepted" "1" "$(cat "$dir"/parallel.* | grep -cx accepted-totp)"
check "30 parallel logins: the others replayed or throttled" "29" "$(cat "$dir"/parallel.* | grep -cxE 'replayed|throttled')"

# The server role's rights: EXECUTE on the server functions, nothing else.
check "server role cannot SELECT a secret" "yes" \
    "$(has "$(sql server_a "SELECT secret FROM swift2fa.credential")" 'permission denied')"
check "server role cannot SELECT a backup key" "yes" \
    "$(has "$(sql server_a "SELECT backup_key FROM swift2fa.enrollment")" 'permission denied')"
check "server role cannot read backup hashes" "yes" \
    "$(has "$(sql server_a "SELECT hash FROM swift2fa.backup_code")" 'permission denied')"
check "server role cannot reset" "yes" "$(has "$(sql server_a "SELECT swift2fa.reset('alice')")" 'permission denied')"
check "server role cannot call helpers" "yes" \
    "$(has "$(sql server_a "SELECT swift2fa.totp_code('\\x00', 'SHA1', 6, 1)")" 'permission denied')"
check "server role cannot replace an enrollment" "yes" \
    "$(has "$(sql server_a "SELECT swift2fa.begin_pending('alice', '\\x$alice', 'SHA1', 6, 30)")" 'already enrolled')"

# Enrollment at login is a right of its own: server_a has it (--enroll), server_b not.
server_a=$("$pg" conninfo "$dir" server_a)
server_b=$("$pg" conninfo "$dir" server_b)
check "a server role without --enroll cannot start a pending enrollment" "42501" \
    "$(sqlstate "$server_b" "SELECT swift2fa.begin_pending('erin', '\\x$alice', 'SHA1', 6, 30)")"
check "a server role without --enroll cannot confirm one" "42501" \
    "$(sqlstate "$server_b" "SELECT swift2fa.confirm_pending('erin', '123456', '{}', false)")"
check "a server role with --enroll may start a pending enrollment" "t" \
    "$(sql server_a "SELECT swift2fa.begin_pending('erin', '\\x$alice', 'SHA1', 6, 30) > 0")"
check "the pending enrollment records the server role that started it" "server_a|false" \
    "$(sql twofa_admin "SELECT started_by || '|' || started_by_admin FROM swift2fa.pending WHERE user_name = 'erin'")"
check "a server may restart a pending enrollment a server started" "no error" \
    "$(sqlstate "$server_a" "SELECT swift2fa.begin_pending('erin', '\\x$bob', 'SHA1', 6, 30)")"
check "the admin may replace a server's pending enrollment" "twofa_admin|true" \
    "$(sql twofa_admin "SELECT swift2fa.begin_pending('erin', '\\x$alice', 'SHA1', 6, 30) > 0;
                        SELECT started_by || '|' || started_by_admin FROM swift2fa.pending WHERE user_name = 'erin'" | tail -n 1)"
check "a server cannot replace a pending enrollment the admin started (S2F05)" "S2F05" \
    "$(sqlstate "$server_a" "SELECT swift2fa.begin_pending('erin', '\\x$bob', 'SHA1', 6, 30)")"
check "... and the admin's secret is still the pending one" "t" \
    "$(sql twofa_admin "SELECT secret = '\\x$alice'::bytea AND started_by_admin FROM swift2fa.pending WHERE user_name = 'erin'")"
check "a server may confirm the admin's pending enrollment with its code (the user's confirm)" "accepted" \
    "$(sql server_a "SELECT swift2fa.confirm_pending('erin', '$(code "$alice")', ARRAY['abcde-fghjk'], false)")"
sql twofa_admin "SELECT swift2fa.begin_pending('gina', '\\x$alice', 'SHA1', 6, 30);
                 UPDATE swift2fa.pending SET pending_until = swift2fa.now_seconds() - 1 WHERE user_name = 'gina'" >/dev/null
check "an expired pending enrollment of the admin's may be replaced by a server" "server_a|false" \
    "$(sql server_a "SELECT swift2fa.begin_pending('gina', '\\x$bob', 'SHA1', 6, 30)" >/dev/null;
       sql twofa_admin "SELECT started_by || '|' || started_by_admin FROM swift2fa.pending WHERE user_name = 'gina'")"
gina_code=$(code "$bob")
check "a server enrollment: begin and confirm" "accepted" \
    "$(sql server_a "SELECT swift2fa.confirm_pending('gina', '$gina_code', ARRAY['abcde-fghjk'], false)")"
sql twofa_admin "SELECT swift2fa.begin_pending('hana', '\\x$bob', 'SHA1', 6, 30); SELECT swift2fa.set_setting('window', 0)" >/dev/null
check "the activating code is checked with a window of ±1 whatever the settings (as the file store's confirm)" "accepted" \
    "$(sql server_a "SELECT swift2fa.confirm_pending('hana', '$(code "$bob" --now="@$(( $(date +%s) - 30 ))")', ARRAY['abcde-fghjk'], false)")"
sql twofa_admin "SELECT swift2fa.set_setting('window', 1)" >/dev/null
check "the audit names the server role of each step of a server enrollment" \
    "server_a begin-pending pending|server_a confirm enrolled" \
    "$(sql twofa_admin "SELECT string_agg(server || ' ' || service || ' ' || result, '|' ORDER BY id) FROM swift2fa.audit
                        WHERE user_name = 'gina' AND server = 'server_a'")"
check "db grant-server refused to a server role" "74" \
    "$("$setup" db grant-server server_b --database "$server_a" >/dev/null 2>&1; echo $?)"

# Who may receive the server rights: never PUBLIC, the admin role, its members or a superuser.
sql postgres "CREATE ROLE server_c LOGIN; CREATE ROLE outsider LOGIN; CREATE ROLE deputy LOGIN IN ROLE twofa_admin" >/dev/null
for role in PUBLIC public twofa_admin deputy postgres; do
    out=$("$setup" db grant-server "$role" --enroll --database "$admin" 2>&1); status=$?
    check "db grant-server $role is refused with a clear message" "64 yes" \
        "$status $(grep -qE 'cannot go to PUBLIC|admin role, a member of it or a superuser' <<<"$out" && echo yes)"
done
check "after the refused grants, PUBLIC has no EXECUTE on verify" "f" \
    "$(sql twofa_admin "SELECT has_function_privilege('outsider', 'swift2fa.verify(text, text, text, text)', 'EXECUTE')")"
check "db grant-server" "0" "$("$setup" db grant-server server_c --database "$admin" >/dev/null 2>&1; echo $?)"
check "granted role verifies" "not-enrolled" "$(verify server_c nobody 123456)"
server_c=$("$pg" conninfo "$dir" server_c)
check "granted role without --enroll cannot begin_pending" "42501" \
    "$(sqlstate "$server_c" "SELECT swift2fa.begin_pending('hal', '\\x$alice', 'SHA1', 6, 30)")"
check "db grant-server --enroll" "granted the server rights to server_c; enrollment at login: yes; self-service: no (add --self-service to allow it)" \
    "$("$setup" db grant-server server_c --enroll --database "$admin" 2>&1)"
check "granted role with --enroll may begin_pending" "no error" \
    "$(sqlstate "$server_c" "SELECT swift2fa.begin_pending('hal', '\\x$alice', 'SHA1', 6, 30)")"
check "db grant-server again without --enroll takes the enrollment right back" "42501" \
    "$("$setup" db grant-server server_c --database "$admin" >/dev/null 2>&1
       sqlstate "$server_c" "SELECT swift2fa.begin_pending('hal', '\\x$alice', 'SHA1', 6, 30)")"
check "granted role without --self-service cannot open a self-service session" "42501" \
    "$(sqlstate "$server_c" "SELECT swift2fa.self_open('hal', '123456', NULL, repeat('ab', 32), 300)")"
check "db grant-server --self-service" "granted the server rights to server_c; enrollment at login: no (add --enroll to allow it); self-service: yes" \
    "$("$setup" db grant-server server_c --self-service --database "$admin" 2>&1)"
check "granted role with --self-service may call self_open" "no error" \
    "$(sqlstate "$server_c" "SELECT swift2fa.self_open('hal', '123456', NULL, repeat('ab', 32), 300)")"
check "db status shows the self-service right" "yes" \
    "$(has "$("$setup" db status --database "$admin" 2>&1 | grep '^server roles:')" 'server_c (self-service)')"
check "a self-service function needs an open session of that user" "S2F03" \
    "$(sqlstate "$server_c" "SELECT swift2fa.self_credentials('alice', repeat('ab', 32))")"
check "the admin functions behind the self-service ones stay the admin's" "42501" \
    "$(sqlstate "$server_c" "SELECT * FROM swift2fa.credentials('alice')")"
"$setup" db grant-server server_c --enroll --self-service --database "$admin" >/dev/null 2>&1
check "db revoke-server" "0" "$("$setup" db revoke-server server_c --database "$admin" >/dev/null 2>&1; echo $?)"
check "revoked role is refused" "yes" "$(has "$(verify server_c nobody 123456)" 'permission denied')"
check "revoked role has no enrollment or self-service right left" "false|false|false" \
    "$(sql twofa_admin "SELECT has_function_privilege('server_c', 'swift2fa.begin_pending(text, bytea, text, integer, integer)', 'EXECUTE')
                        || '|' || has_function_privilege('server_c', 'swift2fa.confirm_pending(text, text, text[], boolean)', 'EXECUTE')
                        || '|' || has_function_privilege('server_c', 'swift2fa.self_open(text, text, text, text, integer)', 'EXECUTE')")"

# The tables' row counts (pg_stat_user_tables, n_live_tup: how many users are enrolled) are
# out of reach of a role without the server rights: it may not connect to the database.
counts() { # CONNINFO -> the enrollment table's row count, or the error
    timeout 60 psql -X -At "$1" -c "SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'enrollment'" 2>&1
}
check "a granted server role can read the row counts (documented)" "yes" \
    "$(grep -qx '[0-9][0-9]*' <<<"$(counts "$server_a")" && echo yes)"
check "a role without the server grant cannot read the tables' row counts" "yes" \
    "$(has "$(counts "host=$dir/primary.sock port=$(cat "$dir/port") dbname=twofa user=outsider")" 'permission denied for database')"
check "a revoked server role cannot read them either" "yes" \
    "$(has "$(counts "$server_c")" 'permission denied for database')"
check "PUBLIC has no CONNECT on the fleet database" "f" \
    "$(sql twofa_admin "SELECT has_database_privilege('outsider', 'twofa', 'CONNECT')")"

# A database made by the version 1 schema (the last commit with it) upgrades with db init:
# enrollments, state and pending enrollments are kept; the server roles keep CONNECT and
# the server rights, and lose the enrollment right until it is granted again.
# A new database NAME made by the schema files of a release before migrations (001-tables.sql
# and 002-functions.sql of COMMIT, from git), applied with psql as then; prints "yes VERSION".
release_database() { # NAME COMMIT
    local loaded=yes file
    sql postgres "CREATE DATABASE $1 OWNER twofa_admin" >/dev/null
    for file in 001-tables.sql 002-functions.sql; do
        git -C "$root" show "$2:fleet/schema/$file" |
            PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$admin dbname=$1" -f - >/dev/null 2>&1 ||
            loaded=no
    done
    echo "$loaded $(psql -X -At "$admin dbname=$1" -c "SELECT version FROM swift2fa.schema_version" 2>&1)"
}
v1_commit=ac745ee93c549cf881960293f26fec7de97d2af4
v1="$admin dbname=twofa_v1"
check "the version 1 schema loads from git ($v1_commit)" "yes 1" "$(release_database twofa_v1 "$v1_commit")"
henry=$(random_hex)
psql -X -At "$v1" -c "SELECT swift2fa.grant_server('server_a');
    SELECT swift2fa.admin_enroll('henry', '\\x$henry'::bytea, 'SHA1', 6, 30, 0, ARRAY['abcde-fghjk'], false)" >/dev/null 2>&1
check "version 1: the server role may start a pending enrollment" "t" \
    "$(psql -X -At "$v1 user=server_a" -c "SELECT swift2fa.begin_pending('ivy', '\\x$henry', 'SHA1', 6, 30) > 0" 2>&1)"
henry_code=$(code "$henry")
check "version 1: a code is accepted" "accepted-totp" \
    "$(psql -X -At "$v1 user=server_a" -c "SELECT outcome FROM swift2fa.verify('henry', '$henry_code', 'sshd', NULL)" 2>&1)"
upgrade=$("$setup" db init --database "$v1" 2>&1); status=$?
check "db init upgrades version 1 to $version" "0 schema swift2fa is at version $version; admin role: twofa_admin" \
    "$status $(head -n 1 <<<"$upgrade")"
check "db init says that the enrollment right must be granted again" "yes" "$(has "$upgrade" 'grant-server ROLE --enroll')"
check "version 1: migration 001 counts as applied, 002 and later run" "001-tables.sql found $(sed 1d <<<"$migrations" | sed 's/$/ applied/' | tr '\n' ' ')" \
    "$(psql -X -At "$v1" -c "SELECT string_agg(name || CASE WHEN applied_at IS NULL THEN ' found' ELSE ' applied' END, ' ' ORDER BY number) || ' ' FROM swift2fa.schema_migrations" 2>&1)"
check "after the upgrade: the enrollment is kept, the used code replayed" "replayed" \
    "$(psql -X -At "$v1 user=server_a" -c "SELECT outcome FROM swift2fa.verify('henry', '$henry_code', 'sshd', NULL)" 2>&1)"
check "after the upgrade: the secret is credential 1 'default', its last step kept (migration 004)" "1 default TOTP true" \
    "$(psql -X -At "$v1" -c "SELECT c.id || ' ' || c.label || ' ' || c.kind || ' ' || (c.last_counter >= $(date +%s) / 30 - 1) FROM swift2fa.credential c WHERE user_name = 'henry'" 2>&1)"
check "after the upgrade: the next step's code of the same secret logs in, naming the credential" "accepted-totp default" \
    "$(psql -X -At "$v1 user=server_a" -c "SELECT outcome || ' ' || credential FROM swift2fa.verify('henry', '$(code "$henry" -N '+30 seconds')', 'sshd', NULL)" 2>&1)"
check "after the upgrade: the backup code works, and verify answers with the codes left and the lock" "accepted-backup 0 false" \
    "$(psql -X -At "$v1 user=server_a" -c "SELECT outcome || ' ' || backup_codes_left || ' ' || locked_now FROM swift2fa.verify('henry', 'ABCDE-FGHJK', 'sshd', NULL)" 2>&1)"
check "after the upgrade: the pending enrollment is kept and counts as the admin's" "pending t" \
    "$(psql -X -At "$v1" -c "SELECT status FROM swift2fa.status('ivy'); SELECT started_by_admin FROM swift2fa.pending" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check "after the upgrade: the server role lost the enrollment right" "42501" \
    "$(sqlstate "$v1 user=server_a" "SELECT swift2fa.begin_pending('jack', '\\x$henry', 'SHA1', 6, 30)")"
"$setup" db grant-server server_a --enroll --database "$v1" >/dev/null 2>&1
check "after the upgrade: granted again, it may enroll" "no error" \
    "$(sqlstate "$v1 user=server_a" "SELECT swift2fa.begin_pending('jack', '\\x$henry', 'SHA1', 6, 30)")"
check "after the upgrade: it may not replace the pending enrollment of version 1" "S2F05" \
    "$(sqlstate "$v1 user=server_a" "SELECT swift2fa.begin_pending('ivy', '\\x$henry', 'SHA1', 6, 30)")"
check "db init again keeps the enrollment right (the upgrade step runs once)" "0 server roles:      server_a (enroll)" \
    "$("$setup" db init --database "$v1" >/dev/null 2>&1; echo $?) $("$setup" db status --database "$v1" 2>&1 | grep '^server roles:')"
check "after the upgrade: PUBLIC has no CONNECT" "f" \
    "$(psql -X -At "$v1" -c "SELECT has_database_privilege('outsider', 'twofa_v1', 'CONNECT')" 2>&1)"

# A database made by the files of the last release before migrations (schema version 2, the
# last commit with them) upgrades with db init: migrations 001 and 002 count as applied and
# do not run again, later ones run; enrollments, backup codes (used and unused), replay and
# throttle state, pending enrollments, settings and the audit log are kept, and the codes
# still verify. A second db init changes nothing.
v2_commit=7c8affe11a9e656bb4d9a53457bdc4f7bbe86c4e
v2="$admin dbname=twofa_v2"
check "the version 2 schema loads from git ($v2_commit)" "yes 2" "$(release_database twofa_v2 "$v2_commit")"
v2sql() { # ROLE SQL
    psql -X -At "$v2 user=$1" -c "$2" 2>&1
}
kate=$(random_hex)
leo=$(random_hex)
v2sql twofa_admin "SELECT swift2fa.set_setting('window', 2);
    SELECT swift2fa.grant_server('server_a', true), swift2fa.grant_server('server_b', false);
    SELECT swift2fa.admin_enroll('kate', '\\x$kate'::bytea, 'SHA1', 6, 30, 0, ARRAY['abcde-fghjk', 'mnpqr-stuvw'], false);
    SELECT swift2fa.admin_enroll('leo', '\\x$leo'::bytea, 'SHA1', 8, 30, 0, ARRAY['abcde-fghjk'], false)" >/dev/null
kate_code=$(code "$kate")
check "version 2: a code is accepted" "accepted-totp" \
    "$(v2sql server_a "SELECT outcome FROM swift2fa.verify('kate', '$kate_code', 'sshd', NULL)")"
check "version 2: a backup code is accepted" "accepted-backup" \
    "$(v2sql server_b "SELECT outcome FROM swift2fa.verify('kate', 'abcde-fghjk', 'sshd', NULL)")"
w=$(wrong "$kate")
for _ in 1 2 3; do v2sql server_b "SELECT outcome FROM swift2fa.verify('leo', '${w}00', 'sshd', NULL)" >/dev/null; done
check "version 2: three wrong codes start the back-off" "throttled" \
    "$(v2sql server_a "SELECT outcome FROM swift2fa.verify('leo', '$(code "$leo" --digits=8)', 'sshd', NULL)")"
mia=$(random_hex)
check "version 2: a server role with the enrollment right starts a pending enrollment" "t" \
    "$(v2sql server_a "SELECT swift2fa.begin_pending('mia', '\\x$mia', 'SHA1', 6, 30) > 0")"
v2sql twofa_admin "SELECT swift2fa.begin_pending('nina', '\\x$mia', 'SHA1', 6, 30)" >/dev/null
# Every row of every table (the audit log included), and the rights on the functions. An
# enrollment's secret, parameters and last step are in its credential after migration 004
# (its secret also in backup_key); the pending and settings columns of version 2 only.
v2rows() { # before|after
    local enrollment="SELECT 'enrollment', e.* FROM swift2fa.enrollment e ORDER BY user_name"
    [ "$1" = after ] && enrollment="SELECT 'enrollment', e.user_name, c.secret, c.algorithm, c.digits, c.period, e.created,
            c.last_counter, e.failures, e.throttled_until, e.backup_failures, e.locked
        FROM swift2fa.enrollment e JOIN swift2fa.credential c USING (user_name)
        WHERE c.id = 1 AND c.label = 'default' AND c.kind = 'TOTP' AND c.\"offset\" = 0 AND c.created = e.created
          AND c.secret = e.backup_key ORDER BY user_name"
    v2sql twofa_admin "$enrollment;
        SELECT 'backup', b.* FROM swift2fa.backup_code b ORDER BY user_name, tag;
        SELECT 'pending', p.user_name, p.secret, p.algorithm, p.digits, p.period, p.created, p.pending_until, p.started_by,
               p.started_by_admin FROM swift2fa.pending p ORDER BY user_name;
        SELECT 'settings', s.one, s.\"window\", s.throttle_after, s.throttle_delay, s.throttle_max, s.lock_after,
               s.pending_lifetime, s.backup_cost, s.dummy_hash FROM swift2fa.settings s;
        SELECT 'audit', a.* FROM swift2fa.audit a ORDER BY id;
        SELECT 'rights', p.oid::regprocedure, p.proacl FROM pg_proc p
         WHERE p.pronamespace = 'swift2fa'::regnamespace AND p.proname <> 'apply_migration' ORDER BY p.oid::regprocedure::text"
}
rows_before=$(v2rows before)
upgrade=$("$setup" db init --database "$v2" 2>&1); status=$?
check "db init upgrades version 2 to $version" "0 schema swift2fa is at version $version; admin role: twofa_admin" \
    "$status $(head -n 1 <<<"$upgrade")"
check "db init from version 2 does not take the enrollment right (migration 002 does not run again)" "" \
    "$(has "$upgrade" 'grant-server')"
check "version 2: migrations 001 and 002 count as applied, later ones run" \
    "001-tables.sql found 002-enrollment-right.sql found $(sed 1,2d <<<"$migrations" | sed 's/$/ applied/' | tr '\n' ' ')" \
    "$(v2sql twofa_admin "SELECT string_agg(name || CASE WHEN applied_at IS NULL THEN ' found' ELSE ' applied' END, ' ' ORDER BY number) || ' ' FROM swift2fa.schema_migrations")"
# Functions added since are new, and internal ones replaced since are gone; every one that is
# in both keeps its rights (verify's among them: its result type changed, its grants did not).
rows_after=$(v2rows after)
both() { # ROWS OTHER-ROWS: ROWS without the rights of functions OTHER-ROWS does not have
    awk -F'|' -v known="$(grep '^rights|' <<<"$2" | cut -d'|' -f2)" \
        'BEGIN { n = split(known, k, "\n"); for (i = 1; i <= n; i++) seen[k[i]] = 1 } $1 != "rights" || seen[$2]' <<<"$1"
}
check "after the upgrade: every row and every function's rights are as before" "$(both "$rows_before" "$rows_after")" \
    "$(both "$rows_after" "$rows_before")"
check "after the upgrade: verify's rights are those of version 2" "yes" \
    "$(grep -q '^rights|swift2fa.verify(text,text,text,text)|' <<<"$(both "$rows_after" "$rows_before")" && echo yes)"
check "after the upgrade: kate's next code logs in with the same secret, naming the credential" "accepted-totp default" \
    "$(v2sql server_a "SELECT outcome || ' ' || credential FROM swift2fa.verify('kate', '$(code "$kate" -N '+30 seconds')', 'sshd', NULL)")"
check "after the upgrade: the server roles have the server functions added since (no grant-server again)" "t t" \
    "$(v2sql twofa_admin "SELECT has_function_privilege('server_b', 'swift2fa.grace_age(text, text, text)', 'EXECUTE'),
                                 has_function_privilege('server_a', 'swift2fa.record_grace(text, text, text)', 'EXECUTE')" | tr '|\n' '  ' | sed 's/ *$//')"
check "after the upgrade: the used code stays replayed" "replayed" \
    "$(v2sql server_b "SELECT outcome FROM swift2fa.verify('kate', '$kate_code', 'sshd', NULL)")"
check "after the upgrade: the used backup code stays used" "rejected" \
    "$(v2sql server_a "SELECT outcome FROM swift2fa.verify('kate', 'ABCDE-FGHJK', 'sshd', NULL)")"
check "after the upgrade: the unused backup code works, and verify answers with the codes left and the lock" \
    "accepted-backup 0 false" \
    "$(v2sql server_a "SELECT outcome || ' ' || backup_codes_left || ' ' || locked_now FROM swift2fa.verify('kate', 'MNPQR-STUVW', 'sshd', NULL)")"
check "after the upgrade: the back-off goes on" "throttled" \
    "$(v2sql server_b "SELECT outcome FROM swift2fa.verify('leo', '$(code "$leo" --digits=8)', 'sshd', NULL)")"
check "after the upgrade: the server's pending enrollment is confirmed with a current code" "accepted" \
    "$(v2sql server_a "SELECT swift2fa.confirm_pending('mia', '$(code "$mia")', ARRAY['abcde-fghjk'], false)")"
check "after the upgrade: a server still may not replace the admin's pending enrollment" "S2F05" \
    "$(sqlstate "$v2 user=server_a" "SELECT swift2fa.begin_pending('nina', '\\x$mia', 'SHA1', 6, 30)")"
v2_before_init=$(snapshot "$v2")
check "db init again on the upgraded database changes nothing" "0 $v2_before_init" \
    "$("$setup" db init --database "$v2" >/dev/null 2>&1; echo $?) $(snapshot "$v2")"

# TLS with a client certificate for the server role.
port=$("$pg" tls "$dir")
tls="host=127.0.0.1 port=$port dbname=twofa user=server_a sslmode=verify-full sslrootcert=$dir/tls/ca.crt sslcert=$dir/tls/client.crt sslkey=$dir/tls/client.key"
check "TLS, client certificate: db status" "role:              server_a" \
    "$("$setup" db status --database "$tls" 2>/dev/null | grep '^role:')"
check "TLS, client certificate: verify" "t" \
    "$(psql -X -At "$tls" -c "SELECT outcome IN ('accepted-totp', 'replayed') AND ssl FROM swift2fa.verify('alice', '$(code "$alice")', 'sshd', NULL), pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)"
check "TLS without a client certificate is refused" "74" \
    "$("$setup" db status --database "host=127.0.0.1 port=$port dbname=twofa user=server_a sslmode=verify-full sslrootcert=$dir/tls/ca.crt sslcert=/nonexistent" >/dev/null 2>&1; echo $?)"

# Failover: a synchronous standby is promoted after the primary is killed; a code used
# before stays replayed. Both hosts in one connection string, read-write only.
"$pg" standby "$dir" || failed=$((failed + 1))
frank=$(random_hex)
enroll frank "$frank"
c=$(code "$frank")
check "before failover: accepted on the primary" "accepted-totp" "$(verify server_a frank "$c")"
standby_b="$("$pg" conninfo "$dir" server_b standby)"
# "Not enrolled" (prompt_digits NULL, which lets nullok pass the user) comes only from the
# primary in a read-write session: a standby may be behind.
check "prompt_digits on the primary: NULL for an unenrolled user" "null" \
    "$(psql -X -At "$server_b" -c "SELECT coalesce(swift2fa.prompt_digits('nobody')::text, 'null')" 2>&1)"
check "prompt_digits on the standby for an unenrolled user: 25006, not NULL" "25006" \
    "$(sqlstate "$standby_b" "SELECT swift2fa.prompt_digits('nobody')")"
check "prompt_digits on the standby for an enrolled user: 25006 too" "25006" \
    "$(sqlstate "$standby_b" "SELECT swift2fa.prompt_digits('frank')")"
check "prompt_digits in a read-only transaction on the primary: 25006" "25006" \
    "$(sqlstate "$server_b options='-c default_transaction_read_only=on'" "SELECT swift2fa.prompt_digits('nobody')")"
check "verify on the standby: 25006" "25006" \
    "$(sqlstate "$standby_b" "SELECT outcome FROM swift2fa.verify('nobody', '123456', 'sshd', NULL)")"
printf 'database = %s\n' "$standby_b" >"$work/standby.conf"
chmod 0600 "$work/standby.conf"
out=$("$setup" enroll --pending --user nobody --config "$work/standby.conf" --store "$work/store" 2>&1); status=$?
check "the command on the standby (prompt_digits first): database-unavailable, not 'not enrolled'" "74 yes" \
    "$status $(has "$out" database-unavailable)"
check "the standby refuses logins: database-unavailable (read-only)" "yes" \
    "$(has "$("$setup" db init --database "$("$pg" conninfo "$dir" twofa_admin standby)" 2>&1)" 'database-unavailable')"
"$pg" kill "$dir"
start=$(date +%s%N)
out=$("$setup" db status --database "$admin" --database-timeout 2 2>&1); status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "primary down: fails closed with database-unavailable" "74 yes" "$status $(grep -q database-unavailable <<<"$out" && echo yes)"
check "primary down: within the timeout" "yes" "$([ "$elapsed" -lt 2500 ] && echo yes || echo "no (${elapsed} ms)")"
"$pg" promote "$dir"
both="host=$dir/primary.sock,$dir/standby.sock port=$(cat "$dir/port") dbname=twofa user=server_b target_session_attrs=read-write"
check "after failover: the code used before is replayed" "replayed" \
    "$(psql -X -At "$both" -c "SELECT outcome FROM swift2fa.verify('frank', '$c', 'sshd', NULL)" 2>&1)"
check "after failover: db status through both hosts" "yes" \
    "$(has "$("$setup" db status --database "$both" 2>&1)" ', primary')"

# A server that accepts connections and never answers: the deadline holds.
blackhole_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $blackhole_port)); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
" &
blackhole_pid=$!
sleep 0.3
start=$(date +%s%N)
out=$("$setup" db status --database "host=127.0.0.1 port=$blackhole_port dbname=twofa user=x sslmode=disable" --database-timeout 1 2>&1); status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "silent server: database-unavailable" "74 yes" "$status $(grep -q database-unavailable <<<"$out" && echo yes)"
check "silent server: within the 1 s timeout" "yes" "$([ "$elapsed" -lt 1600 ] && echo yes || echo "no (${elapsed} ms)")"
kill "$blackhole_pid"; wait "$blackhole_pid" 2>/dev/null; blackhole_pid=

# Stopped database: the call fails at once.
"$pg" stop "$dir" >/dev/null 2>&1
out=$("$setup" db status --database "$both" --database-timeout 2 2>&1); status=$?
check "stopped database: database-unavailable" "74 yes" "$status $(grep -q database-unavailable <<<"$out" && echo yes)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
