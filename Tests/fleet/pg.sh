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
#   pg.sh load DIR                apply fleet/schema/*.sql as the admin role (idempotent)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { runuser -u postgres -- "$@"; }

command=${1:?usage: pg.sh start|tls|standby|promote|kill|halt|stop|psql|conninfo|load DIR}
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
load() {
    for file in "$root"/fleet/schema/*.sql; do
        PGOPTIONS='-c client_min_messages=warning' run_psql twofa_admin primary -f "$file" >/dev/null
    done
}

case "$command" in
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
    run_psql twofa_admin primary -c "SELECT swift2fa.grant_server('server_a', true), swift2fa.grant_server('server_b', false)" >/dev/null
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
