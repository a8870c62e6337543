#!/usr/bin/env bash
# Fleet-store tests against a real PostgreSQL started by pg.sh (run as root, after
# `swift build`): the SQL codes, replay and throttle across two server roles, exactly-once
# under 30 parallel calls, admin reset and unlock, the server role's rights, fail-closed
# timeouts, TLS with a client certificate, and failover to a synchronous standby.
# Prints one line per check and "N passed, M failed"; exits non-zero on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
setup=${SETUP:-$root/.build/debug/swift-2fa-setup}
pg=$here/pg.sh
[ -x "$setup" ] || { echo "run.sh: build swift-2fa-setup first ($setup)" >&2; exit 1; }

dir=$(mktemp -d /tmp/swift-2fa-fleet.XXXXXX)
blackhole_pid=
cleanup() {
    [ -n "$blackhole_pid" ] && kill "$blackhole_pid" 2>/dev/null
    "$pg" stop "$dir" >/dev/null 2>&1 || true
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

# db init is idempotent and leaves the version at the command's.
check "db init on a loaded schema" "0" "$("$setup" db init --database "$admin" >/dev/null 2>&1; echo $?)"
check "db init twice" "schema swift2fa is at version 1; admin role: twofa_admin" "$("$setup" db init --database "$admin" 2>&1)"

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
    "$(has "$(sql server_a "SELECT secret FROM swift2fa.enrollment")" 'permission denied')"
check "server role cannot read backup hashes" "yes" \
    "$(has "$(sql server_a "SELECT hash FROM swift2fa.backup_code")" 'permission denied')"
check "server role cannot reset" "yes" "$(has "$(sql server_a "SELECT swift2fa.reset('alice')")" 'permission denied')"
check "server role cannot call helpers" "yes" \
    "$(has "$(sql server_a "SELECT swift2fa.totp_code('\\x00', 'SHA1', 6, 1)")" 'permission denied')"
check "server role cannot replace an enrollment" "yes" \
    "$(has "$(sql server_a "SELECT swift2fa.begin_pending('alice', '\\x$alice', 'SHA1', 6, 30)")" 'already enrolled')"
check "server role may start a pending enrollment" "t" \
    "$(sql server_a "SELECT swift2fa.begin_pending('erin', '\\x$alice', 'SHA1', 6, 30) > 0")"
check "db grant-server refused to a server role" "74" \
    "$("$setup" db grant-server server_b --database "$("$pg" conninfo "$dir" server_a)" >/dev/null 2>&1; echo $?)"
sql postgres "CREATE ROLE server_c LOGIN" >/dev/null
check "db grant-server" "0" "$("$setup" db grant-server server_c --database "$admin" >/dev/null 2>&1; echo $?)"
check "granted role verifies" "not-enrolled" "$(verify server_c nobody 123456)"
check "db revoke-server" "0" "$("$setup" db revoke-server server_c --database "$admin" >/dev/null 2>&1; echo $?)"
check "revoked role is refused" "yes" "$(has "$(verify server_c nobody 123456)" 'permission denied')"

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
