# shellcheck shell=bash
# Shared helpers for the end-to-end tests. Sourced by every script in Tests/e2e; not
# meant to be run on its own.
#
# Every test script:
#   - re-executes itself inside a private mount namespace (unshare -m), then
#     bind-mounts a private copy of /etc/pam.d (and /etc/sudoers.d for sudo), so
#     the host's PAM configuration is never modified;
#   - keeps its files in one temporary directory, including the module's store
#     (module option store=), which is root-owned and mode 0700;
#   - creates users named s2fa-e2e-<random> and removes them on exit;
#   - starts its servers with setsid on 127.0.0.1 and kills their process groups on exit.
#
# Environment (all optional; run.sh sets them):
#   S2FA_MODULE   absolute path of pam_swift2fa.so (default: the staged or built one)
#   S2FA_SETUP    path of swift-2fa-setup (default: staged, .build/release, .build/debug)
#   S2FA_E2E_RESULTS  file to which one line "PASS|FAIL <test>: <case>" is appended per case
#   S2FA_E2E_KEEP=1   keep the temporary directory for inspection

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
PASSED=0
FAILED=0
WORK=""
declare -a E2E_USERS=()
declare -a E2E_PGIDS=()
declare -a E2E_CLEANUP_CMDS=()

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

record() { # record PASS|FAIL "case"
    local verdict=$1 name=$2
    printf '%s %s: %s\n' "$verdict" "$TEST_NAME" "$name"
    if [[ -n ${S2FA_E2E_RESULTS:-} ]]; then
        printf '%s %s: %s\n' "$verdict" "$TEST_NAME" "$name" >>"$S2FA_E2E_RESULTS"
    fi
    if [[ $verdict == PASS ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}
pass() { record PASS "$1"; }
fail() { record FAIL "$1${2:+ ($2)}"; }

# expect_rc NAME WANTED ACTUAL [DETAIL]
expect_rc() {
    if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1" "exit status $3, wanted $2${4:+; $4}"; fi
}

require_cmds() {
    local missing=() c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
    if ((${#missing[@]})); then die "missing commands: ${missing[*]} (see Tests/e2e/README.md for the apt packages)"; fi
}

# Re-executes the calling script in a private mount namespace, once.
enter_private_namespace() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it creates users and mount namespaces)"
    if [[ -z ${S2FA_E2E_IN_NAMESPACE:-} ]]; then
        export S2FA_E2E_IN_NAMESPACE=1
        exec unshare --mount --propagation private -- bash "$0" "$@"
    fi
    # Belt and braces: nothing mounted here may propagate back to the host.
    mount --make-rprivate /
}

# built_module BUILD_DIR: the module install.sh builds into BUILD_DIR for the build that
# run.sh --module-runtime chose (S2FA_MODULE_RUNTIME; a script run alone: embedded).
built_module() {
    if [[ ${S2FA_MODULE_RUNTIME:-embedded} == full ]]; then
        printf '%s' "$1/release/libpam_swift2fa.so"
    else
        printf '%s' "$1/embedded/pam_swift2fa.so"
    fi
}

resolve_artifacts() {
    if [[ -z ${S2FA_MODULE:-} ]]; then
        local c
        for c in "$REPO_ROOT/.build/release/libpam_swift2fa.so" "$REPO_ROOT/.build/debug/libpam_swift2fa.so"; do
            if [[ -f $c ]]; then S2FA_MODULE=$c; break; fi
        done
    fi
    [[ -n ${S2FA_MODULE:-} && -f $S2FA_MODULE ]] || die "no module: set S2FA_MODULE or build it (swift build -c release --product pam_swift2fa)"
    [[ $S2FA_MODULE == /* ]] || S2FA_MODULE=$(cd "$(dirname "$S2FA_MODULE")" && pwd)/$(basename "$S2FA_MODULE")
    if [[ -z ${S2FA_SETUP:-} ]]; then
        local c
        for c in "$REPO_ROOT/.build/release/swift-2fa-setup" "$REPO_ROOT/.build/debug/swift-2fa-setup"; do
            if [[ -x $c ]]; then S2FA_SETUP=$c; break; fi
        done
    fi
    [[ -n ${S2FA_SETUP:-} && -x $S2FA_SETUP ]] || die "no swift-2fa-setup: set S2FA_SETUP or build it (swift build -c release --product swift-2fa-setup)"
    export S2FA_MODULE S2FA_SETUP
    log "module: $S2FA_MODULE"
    log "setup:  $S2FA_SETUP"
}

cleanup() {
    local rc=$? pgid user cmd
    set +e
    for pgid in "${E2E_PGIDS[@]}"; do
        kill -TERM -- "-$pgid" 2>/dev/null
    done
    for pgid in "${E2E_PGIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pgid" 2>/dev/null
    done
    for cmd in "${E2E_CLEANUP_CMDS[@]}"; do eval "$cmd"; done
    for user in "${E2E_USERS[@]}"; do
        # Processes of the user (an ssh session that lingers) would block userdel.
        pkill -KILL -u "$user" 2>/dev/null
        userdel --remove --force "$user" >/dev/null 2>&1 || log "could not remove user $user"
        getent passwd "$user" >/dev/null && log "user $user still exists"
    done
    if [[ -n $WORK && -d $WORK ]]; then
        # The bind mounts vanish with the namespace, but unmount anything under WORK first.
        umount -R /etc/pam.d 2>/dev/null
        if [[ ${S2FA_E2E_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf --one-file-system -- "$WORK"; fi
    fi
    log "$PASSED passed, $FAILED failed"
    if ((FAILED > 0)) && ((rc == 0)); then rc=1; fi
    exit "$rc"
}

setup_workdir() {
    WORK=$(mktemp -d "/tmp/s2fa-e2e-$TEST_NAME.XXXXXX")
    chmod 0700 "$WORK"
    trap cleanup EXIT
    trap 'exit 130' INT TERM HUP
    STORE=$WORK/store
    install -d -m 0700 -o root -g root "$STORE"
    export STORE
}

# A private copy of /etc/pam.d, bind-mounted over it in this namespace only.
private_pam_dir() {
    PAM_DIR=$WORK/pam.d
    cp -a /etc/pam.d "$PAM_DIR"
    mount --bind "$PAM_DIR" /etc/pam.d
    export PAM_DIR
}

# overlay_system_dirs DIR...: an overlay over each /DIR (e.g. usr etc run) in this namespace,
# with its upper layer in WORK: the test may install files there, and every write vanishes
# with the namespace. The host's directories are never written.
overlay_system_dirs() {
    local d
    for d in "$@"; do
        mkdir -p "$WORK/overlay/$d/upper" "$WORK/overlay/$d/work"
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/overlay/$d/upper,workdir=$WORK/overlay/$d/work" "/$d" ||
            die "cannot mount an overlay over /$d"
    done
}

# private_syslog: a /dev of this namespace only (a tmpfs holding bind mounts of the
# host's entries) with a /dev/log socket, served by a listener that appends each message,
# one a line, to $SYSLOG. The host's /dev is never written: its entries are bound one by
# one, and the temporary whole-/dev bind is gone before anything else runs.
private_syslog() {
    local host_dev=$WORK/host-dev entry name
    SYSLOG=$WORK/syslog
    mkdir "$host_dev"
    mount --rbind /dev "$host_dev"
    mount -t tmpfs -o mode=0755,size=1m s2fa-e2e-dev /dev
    for entry in "$host_dev"/* "$host_dev"/.[!.]*; do
        [[ -e $entry || -L $entry ]] || continue
        name=${entry##*/}
        if [[ $name == ptmx ]]; then
            # A bound /dev/ptmx node finds no devpts beside it; the pts instance's own does.
            ln -s pts/ptmx /dev/ptmx
        elif [[ -L $entry ]]; then
            cp -P -- "$entry" "/dev/$name"
        elif [[ -d $entry ]]; then
            mkdir "/dev/$name" && mount --rbind "$entry" "/dev/$name"
        else
            : >"/dev/$name" && mount --bind "$entry" "/dev/$name"
        fi
    done
    umount -R "$host_dev" && rmdir "$host_dev" || die "cannot detach $host_dev (the host's /dev)"
    : >"$SYSLOG"
    start_bg "$WORK/syslog-listener.log" python3 -c '
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as log:
    while True:
        message = server.recv(65536).rstrip(b"\0").replace(b"\n", b" ")
        log.write(message + b"\n")
' /dev/log "$SYSLOG"
    local i
    for ((i = 0; i < 50; i++)); do [[ -S /dev/log ]] && break; sleep 0.1; done
    [[ -S /dev/log ]] || die "the private /dev/log did not appear"
    export SYSLOG
}

# module_log_lines [FROM_LINE]: the module's lines in $SYSLOG from line FROM_LINE on,
# without the syslog header (time stamp, program, pid), e.g. "su:auth): user=... result=...".
module_log_lines() {
    tail -n +"${1:-1}" "$SYSLOG" | sed -n 's/.*pam_swift2fa(\(.*\)$/\1/p'
}

# install_pam_service SERVICE EXAMPLE_FILE OPTIONS...
# Copies pam.d-example/EXAMPLE_FILE to the private /etc/pam.d/SERVICE, pointing the
# module line at S2FA_MODULE with store=STORE and the given options (e.g. nullok).
install_pam_service() {
    local service=$1 example=$2
    shift 2
    local options="store=$STORE${*:+ $*}"
    local src=$REPO_ROOT/pam.d-example/$example
    [[ -f $src ]] || die "missing example $src"
    grep -qE '^[[:space:]]*auth[[:space:]]+required[[:space:]]+pam_swift2fa\.so' "$src" || die "$src has no active pam_swift2fa.so line"
    sed -E "s#^([[:space:]]*auth[[:space:]]+required[[:space:]]+)pam_swift2fa\\.so.*#\\1$S2FA_MODULE $options#" "$src" >"$PAM_DIR/$service"
    chmod 0644 "$PAM_DIR/$service"
}

# failures_of USER: the consecutive failures in USER's state (0 when there is none).
failures_of() { state_field "$1" failures; }

random_suffix() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }
random_password() { printf 'pw-%s-%s' "$(random_suffix)" "$(random_suffix)"; }

# create_user NAME PASSWORD
create_user() {
    local name=$1 password=$2
    E2E_USERS+=("$name")
    useradd --create-home --shell /bin/sh --comment "swift-2fa e2e test" "$name"
    printf '%s:%s\n' "$name" "$password" | chpasswd
}

new_user_name() { printf 's2fa-e2e-%s' "$(random_suffix)"; }

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# wait_for_port PORT [SECONDS]
wait_for_port() {
    local port=$1 limit=${2:-15} i
    for ((i = 0; i < limit * 5; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    return 1
}

# start_bg LOGFILE COMMAND...: runs COMMAND in its own process group; cleanup kills the group.
start_bg() {
    local logfile=$1
    shift
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    local pid=$!
    E2E_PGIDS+=("$pid")
    # shellcheck disable=SC2034  # read by the caller
    BG_PID=$pid
}

json_field() { # json_field FIELD  (JSON on stdin; lists are printed one item a line)
    python3 -c '
import json, sys
value = json.load(sys.stdin)[sys.argv[1]]
if isinstance(value, list):
    print("\n".join(str(v) for v in value))
else:
    print(value)
' "$1"
}

# create_alice_and_bob: creates two test users with random passwords, ALICE (enrolled,
# with SECRET and BACKUP_CODES set) and BOB (not enrolled); sets ALICE, ALICE_PW, BOB, BOB_PW.
create_alice_and_bob() {
    ALICE=$(new_user_name)
    ALICE_PW=$(random_password)
    BOB=$(new_user_name)
    BOB_PW=$(random_password)
    create_user "$ALICE" "$ALICE_PW"
    create_user "$BOB" "$BOB_PW"
    enroll "$ALICE" || die "enrollment of $ALICE failed"
}

# enroll USER: enrolls USER into STORE; sets SECRET and BACKUP_CODES (array).
enroll() {
    local user=$1 out code
    out=$("$S2FA_SETUP" enroll --user "$user" --pending --json --store "$STORE") ||
        { log "enroll --pending failed for $user"; return 1; }
    SECRET=$(json_field secret <<<"$out")
    [[ -n $SECRET ]] || { log "no secret in: $out"; return 1; }
    code=$(oathtool --totp -b "$SECRET")
    out=$("$S2FA_SETUP" confirm --user "$user" --code "$code" --json --store "$STORE") ||
        { log "confirm failed for $user"; return 1; }
    mapfile -t BACKUP_CODES < <(json_field backup_codes <<<"$out")
    ((${#BACKUP_CODES[@]} > 0)) || { log "no backup codes in: $out"; return 1; }
}

# A fresh code: the next time step, which is inside the default window (±1) and later
# than any step that enrollment may have recorded as used.
fresh_code() { oathtool --totp -b "$SECRET" -N "now + 30 seconds"; }

# A code that is certainly not the current one (every digit shifted by 5).
wrong_code() { oathtool --totp -b "$SECRET" | tr '0123456789' '5678901234'; }

# state_text USER: the user's state as the store reads it (the hidden `swift-2fa-setup
# state`: the one reader of the state file, whatever its layout), in the lines of the text
# format version 2; nothing when it cannot be read.
state_text() { "$S2FA_SETUP" state --user "$1" --store "$STORE" 2>/dev/null || true; }

# state_field USER FIELD: a value from the user's state (0 when absent).
state_field() {
    local value
    value=$(state_text "$1" | awk -v k="$2" '$1 == k { print $2 }')
    printf '%s\n' "${value:-0}"
}

# last_step USER: the step (or counter) last accepted for the user's first credential, from
# the state's first `credential FINGERPRINT LAST LAST_USED` line (0 when none).
last_step() {
    local value
    value=$(state_text "$1" | awk '$1 == "credential" { print $3; exit }')
    [[ $value =~ ^[0-9]+$ ]] || value=0
    printf '%s\n' "$value"
}

pam_dir_checksum() { (cd /etc/pam.d && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1; }

# pam_try NAME WANTED(0|1) SERVICE USER ANSWER...: one pamtester authenticate of USER on
# SERVICE, the ANSWERs typed one a line; passes when its outcome (0 logged in, 1 refused) is
# WANTED. pamtester runs with the real uid PAM_TRY_UID (set it once: a non-root user, as
# under setuid su, so pam_rootok does not let root through) and, when PAM_TRY_RHOST is set,
# with that remote host (PAM_TRY_RHOST=192.0.2.10 pam_try ...).
pam_try() {
    local name=$1 wanted=$2 service=$3 user=$4 rc=0 out items=()
    shift 4
    [[ -n ${PAM_TRY_UID:-} ]] || die "pam_try: PAM_TRY_UID is not set"
    if [[ -n ${PAM_TRY_RHOST:-} ]]; then items=(-I "rhost=$PAM_TRY_RHOST"); fi
    out=$(printf '%s\n' "$@" | setpriv --ruid "$PAM_TRY_UID" -- pamtester -v "${items[@]}" "$service" "$user" authenticate 2>&1) || rc=$?
    ((rc == 0)) || rc=1
    if [[ $rc == "$wanted" ]]; then pass "$name"; else fail "$name" "pamtester exit $rc, wanted $wanted: $(tr '\n' ' ' <<<"$out")"; fi
}

# start_sshd [AUTHENTICATION_METHODS [PUBKEY(yes|no)]]: a real sshd on 127.0.0.1:SSHD_PORT
# with a private host key and $WORK/sshd_config (UsePAM, keyboard-interactive; by default
# AuthenticationMethods keyboard-interactive and no public keys), in its own process group,
# logging to $WORK/sshd.log; returns once it listens. The first call creates sshd's
# privilege separation directory if needed, the host key and SSHD_PORT. stop_sshd ends it
# (cleanup would too); PAM files are read at each login, so a new stack needs no restart.
start_sshd() {
    local methods=${1:-keyboard-interactive} pubkey=${2:-no} sshd
    sshd=$(command -v sshd)
    if [[ -z ${SSHD_PORT:-} ]]; then
        # sshd's privilege separation directory (normally created by systemd-tmpfiles).
        if [[ ! -d /run/sshd ]]; then
            install -d -m 0755 /run/sshd
            E2E_CLEANUP_CMDS+=("rmdir /run/sshd 2>/dev/null")
        fi
        ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
        SSHD_PORT=$(free_port)
    fi
    cat >"$WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $WORK/host_key
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication $pubkey
AuthenticationMethods $methods
AuthorizedKeysFile .ssh/authorized_keys
StrictModes no
PermitRootLogin no
MaxAuthTries 6
LogLevel VERBOSE
PrintMotd no
UseDNS no
EOF
    "$sshd" -t -f "$WORK/sshd_config" || die "sshd -t rejected the test configuration"
    start_bg "$WORK/sshd.log" "$sshd" -D -e -f "$WORK/sshd_config"
    SSHD_PGID=$BG_PID
    wait_for_port "$SSHD_PORT" 15 || { cat "$WORK/sshd.log" >&2; die "sshd did not start on port $SSHD_PORT"; }
}

# stop_sshd: ends the sshd of start_sshd (its process group) and waits for it.
stop_sshd() {
    kill -TERM -- "-$SSHD_PGID" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 -- "-$SSHD_PGID" 2>/dev/null || break; sleep 0.2; done
}

# ssh_try NAME WANTED_RC USER PASSWORD CODE [IDENTITY]: one login to the sshd of start_sshd
# with the OpenSSH client under lib/ssh_login.exp (see there for the arguments and exit
# statuses); passes when its exit status is WANTED_RC. The client's transcript is
# $WORK/client.log, shown when the status is not the one wanted.
ssh_try() {
    local name=$1 wanted=$2 rc=0
    shift 2
    expect -f "$E2E_DIR/lib/ssh_login.exp" "$SSHD_PORT" "$@" >"$WORK/client.log" 2>&1 || rc=$?
    if [[ $rc != "$wanted" ]]; then
        log "client transcript for '$name':"
        sed 's/^/    /' "$WORK/client.log" >&2
    fi
    expect_rc "$name" "$wanted" "$rc"
}

# start_fleet_database: a throwaway PostgreSQL with the fleet schema and, in front of it, a
# PgBouncer for the role server_a (Tests/fleet/pg.sh); cleanup stops both and removes them.
# Sets PG (pg.sh), PGDIR (the server's directory, outside WORK so that the postgres user
# can reach it) and POOLER (the PgBouncer's socket directory, the module's `pooler =`).
start_fleet_database() {
    PG=$REPO_ROOT/Tests/fleet/pg.sh
    PGDIR=$(mktemp -d /tmp/s2fa-e2e-pg.XXXXXX)
    E2E_CLEANUP_CMDS+=("bash '$PG' stop '$PGDIR' >/dev/null 2>&1; rm -rf -- '$PGDIR'")
    bash "$PG" start "$PGDIR" >"$WORK/pg.log" 2>&1 || { cat "$WORK/pg.log" >&2; die "pg.sh start failed"; }
    POOLER=$(bash "$PG" pooler "$PGDIR" server_a) || die "pg.sh pooler failed"
}

# fleet_audit USER: the result the database recorded for USER's last login.
fleet_audit() {
    bash "$PG" psql "$PGDIR" twofa_admin -At -c "SELECT result FROM swift2fa.audit WHERE user_name = '$1' ORDER BY id DESC LIMIT 1"
}
