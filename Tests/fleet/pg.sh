#!/usr/bin/env bash
# A throwaway PostgreSQL for the fleet tests. Run as root; the server runs as the
# unprivileged `postgres` user, in DIR, on a Unix socket in DIR only (listen_addresses='').
#
#   pg.sh start DIR               initdb DIR/primary, start it; database twofa owned by the
#                                 admin role twofa_admin; schema loaded; server roles server_a
#                                 (with the enrollment right) and server_b (without it)
#   pg.sh tls DIR                 throwaway CA, server and client certificates in DIR/tls;
#                                 restart the primary with hostssl cert auth on 127.0.0.1:PORT
#                                 (PORT, in DIR/port, also names the Unix sockets)
#   pg.sh standby DIR             a synchronous standby (pg_basebackup) in DIR/standby
#   pg.sh promote DIR             promote the standby
#   pg.sh kill DIR                SIGKILL the primary's postmaster (a crash)
#   pg.sh halt DIR                stop the primary (pg_ctl stop), keep DIR
#   pg.sh stop DIR                stop every server of DIR (pg_ctl stop), remove DIR
#   pg.sh psql DIR [ROLE] [ARGS]  psql to the primary (ROLE defaults to twofa_admin)
#   pg.sh conninfo DIR [ROLE] [NODE]  the libpq connection string (NODE primary or standby)
#   pg.sh load DIR                `swift-2fa-setup db init` as the admin role: fleet/schema's
#                                 migrations not yet applied, then its functions (idempotent)
#   pg.sh pooler DIR [ROLE [UPSTREAM [NAME]]]  (re)start the PgBouncer NAME (default ROLE)
#                                 for logins as ROLE (default server_a), configured and run by
#                                 `swift-2fa-setup db pooler write|run` from a configuration
#                                 file whose database is twofa on UPSTREAM (primary, standby,
#                                 tls, or tls-wrongca: TCP with verify-full and the wrong CA);
#                                 it listens only on a Unix socket in DIR/pooler.NAME
#                                 (postgres's, 0700), which it prints (the module's `pooler =`)
#   pg.sh pooler-stop DIR [NAME]  stop that PgBouncer (SIGTERM, immediate); `stop` stops all
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { runuser -u postgres -- "$@"; }

command=${1:?usage: pg.sh start|tls|standby|promote|kill|halt|stop|psql|conninfo|load|pooler|pooler-stop DIR}
dir=${2:?pg.sh: DIR missing}

# The socket directory of a node is its data directory's parent: DIR/primary.sock, DIR/standby.sock.
conninfo() { # ROLE NODE
    echo "host=$dir/${2:-primary}.sock port=$(cat "$dir/port") dbname=twofa user=$1"
}
pg_ctl_node() { # NODE ARGS...
    local node=$1; shift
    as_pg "$bin/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" -w -t 30 "$@" >/dev/null
}
run_psql() { # ROLE NODE ARGS...
    local role=$1 node=$2; shift 2
    psql -X -q -v ON_ERROR_STOP=1 "$(conninfo "$role" "$node")" "$@"
}
# The schema the production way: only `db init` knows which migrations a database still needs.
load() {
    local setup
    setup=$(setup_command)
    "$setup" db init --database "$(conninfo twofa_admin primary)" >/dev/null
}

# The harness's PgBouncer NAME, configured and run the production way: a configuration
# file DIR/pooler.NAME.etc/swift-2fa.conf (root's, 0600) with `database =` and `pooler =`,
# then `swift-2fa-setup db pooler write` (ini, auth and HBA files beside it) and
# `swift-2fa-setup db pooler run` (PgBouncer in the foreground as postgres; its log, on
# stderr, in DIR/pooler.NAME.log).
# The command (for `load` too) is $S2FA_SETUP, or the newest build in .build.
setup_command() {
    if [ -n "${S2FA_SETUP:-}" ]; then echo "$S2FA_SETUP"; return; fi
    local candidate
    for candidate in "$root/.build/release/swift-2fa-setup" "$root/.build/debug/swift-2fa-setup"; do
        [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
    echo "pg.sh: no swift-2fa-setup: set S2FA_SETUP or build it" >&2
    exit 1
}
pooler_stop() { # NAME
    local pidfile=$dir/pooler.$1.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$pidfile"
}
pooler_start() { # ROLE UPSTREAM NAME
    local role=$1 upstream=$2 base=$dir/pooler.$3 target setup
    setup=$(setup_command)
    pooler_stop "$3"
    case "$upstream" in
    primary | standby) target="host=$dir/$upstream.sock port=$(cat "$dir/port")" ;;
    tls | tls-wrongca)
        local ca=$dir/tls/ca.crt
        [ "$upstream" = tls-wrongca ] && ca=$dir/tls/client.crt
        target="host=127.0.0.1 port=$(cat "$dir/port") sslmode=verify-full sslrootcert=$ca"
        target="$target sslcert=$dir/tls/client.crt sslkey=$dir/tls/client.key"
        ;;
    *) echo "pg.sh: unknown upstream $upstream" >&2; exit 64 ;;
    esac
    mkdir -p -m 0755 "$base.etc"
    (umask 077 && printf 'database = %s dbname=twofa user=%s\npooler = %s\n' "$target" "$role" "$base" \
        >"$base.etc/swift-2fa.conf")
    "$setup" db pooler write --config "$base.etc/swift-2fa.conf" >"$base.write.log" 2>&1 \
        || { cat "$base.write.log" >&2; exit 1; }
    rm -f "$base/.s.PGSQL.6432"
    setsid "$setup" db pooler run --config "$base.etc/swift-2fa.conf" </dev/null >"$base.log" 2>&1 &
    echo $! >"$base.pid"
    for _ in $(seq 1 100); do
        [ -S "$base/.s.PGSQL.6432" ] && { echo "$base"; return 0; }
        kill -0 "$(cat "$base.pid")" 2>/dev/null || break
        sleep 0.05
    done
    echo "pg.sh: PgBouncer did not start (see $base.log):" >&2
    cat "$base.log" >&2
    exit 1
}

case "$command" in
pooler)
    pooler_start "${3:-server_a}" "${4:-primary}" "${5:-${3:-server_a}}"
    ;;
pooler-stop)
    pooler_stop "${3:-server_a}"
    ;;
start)
    mkdir -p "$dir"
    chown postgres: "$dir"
    chmod 0700 "$dir"
    as_pg mkdir -m 0700 "$dir/primary.sock"
    # One free TCP port for every node: the socket names carry it, and the TLS variant listens on it.
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$dir/port"
    as_pg "$bin/initdb" -D "$dir/primary" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
    cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/primary.sock'
port = $(cat "$dir/port")
fsync = off
wal_level = replica
max_wal_senders = 4
CONF
    cat >"$dir/primary/pg_hba.conf" <<CONF
local all all trust
local replication postgres trust
CONF
    pg_ctl_node primary start
    psql -X -q -v ON_ERROR_STOP=1 "$(conninfo postgres primary) dbname=postgres" <<'SQL'
CREATE ROLE twofa_admin LOGIN;
CREATE ROLE server_a LOGIN;
CREATE ROLE server_b LOGIN;
CREATE DATABASE twofa OWNER twofa_admin;
SQL
    load
    run_psql twofa_admin primary -c "SELECT swift2fa.grant_server('server_a', true, false), swift2fa.grant_server('server_b', false, false)" >/dev/null
    ;;
load)
    load
    ;;
tls)
    tls=$dir/tls
    as_pg mkdir -p -m 0700 "$tls"
    (
        cd "$tls"
        openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=swift-2fa test CA" \
            -keyout ca.key -out ca.crt 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
            -extfile server.ext -out server.crt 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=server_a" -keyout client.key -out client.csr 2>/dev/null
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -out client.crt 2>/dev/null
        chown postgres: ./*
        chmod 0600 ./*.key
    )
    port=$(cat "$dir/port")
    cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
ssl_ca_file = '$tls/ca.crt'
CONF
    echo "hostssl twofa all 127.0.0.1/32 cert" >>"$dir/primary/pg_hba.conf"
    pg_ctl_node primary restart
    echo "$port"
    ;;
standby)
    as_pg mkdir -m 0700 "$dir/standby.sock"
    as_pg "$bin/pg_basebackup" -D "$dir/standby" -h "$dir/primary.sock" -p "$(cat "$dir/port")" -U postgres \
        -X stream -R --no-sync --checkpoint=fast
    cat >>"$dir/standby/postgresql.conf" <<CONF
unix_socket_directories = '$dir/standby.sock'
listen_addresses = ''
CONF
    # After the line pg_basebackup -R wrote there, which would win over postgresql.conf.
    echo "primary_conninfo = 'host=$dir/primary.sock port=$(cat "$dir/port") user=postgres application_name=standby'" \
        >>"$dir/standby/postgresql.auto.conf"
    pg_ctl_node standby start
    run_psql postgres primary -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" -c "SELECT pg_reload_conf()" >/dev/null
    # Wait until the standby streams synchronously.
    for _ in $(seq 1 100); do
        state=$(run_psql postgres primary -At -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")
        [ "$state" = sync ] && exit 0
        sleep 0.1
    done
    echo "pg.sh: the standby did not become synchronous" >&2
    exit 1
    ;;
promote)
    pg_ctl_node standby promote
    ;;
kill)
    # The postmaster and its children (backends, WAL sender, background workers), all at once,
    # as a crashed machine would stop.
    pid=$(head -n 1 "$dir/primary/postmaster.pid")
    pids="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
    kill -KILL $pids 2>/dev/null || true
    for p in $pids; do
        while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
    done
    ;;
halt)
    pg_ctl_node primary stop -m fast
    ;;
stop)
    for pidfile in "$dir"/pooler.*.pid; do
        [ -f "$pidfile" ] || continue
        name=${pidfile#"$dir/pooler."}
        pooler_stop "${name%.pid}"
    done
    for node in standby primary; do
        if [ -f "$dir/$node/postmaster.pid" ]; then
            pg_ctl_node "$node" stop -m immediate || true
        fi
    done
    rm -rf "$dir"
    ;;
psql)
    role=${3:-twofa_admin}
    shift 3 2>/dev/null || shift $#
    run_psql "$role" primary "$@"
    ;;
conninfo)
    conninfo "${3:-twofa_admin}" "${4:-primary}"
    ;;
*)
    echo "pg.sh: unknown command $command" >&2
    exit 64
    ;;
esac
