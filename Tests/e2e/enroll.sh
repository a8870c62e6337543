#!/usr/bin/env bash
# End-to-end: enrollment at login (module option `enroll`) through real clients.
#   - sshd on 127.0.0.1 with pam.d-example/sshd-enroll; the OpenSSH client under expect
#     (lib/enroll_login.exp) reads the otpauth URI the module shows, answers with
#     oathtool and gets a shell; the next login asks for a code and refuses a replay.
#   - sudo and login (pam.d-example/sudo, login with `enroll`) through a pty.
#   - Cockpit (pam.d-example/cockpit-enroll) in headless Chromium with Selenium
#     (lib/cockpit_enroll.py), with a screenshot of each page in the output directory.
# Runs in a private mount namespace; the host's /etc/pam.d is never touched.
# S2FA_E2E_OUTPUT=DIR keeps the transcripts and screenshots there (default: a
# directory under /tmp that is left in place and named in the output).
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=enroll
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds sshd ssh ssh-keygen expect oathtool python3 useradd userdel chpasswd setsid sudo runuser login zbarimg
resolve_artifacts
setup_workdir
private_pam_dir

OUT=${S2FA_E2E_OUTPUT:-$(mktemp -d /tmp/s2fa-e2e-enroll-output.XXXXXX)}
mkdir -p "$OUT"
log "transcripts and screenshots: $OUT"
EXP=$E2E_DIR/lib/enroll_login.exp
export LANG=C.UTF-8

# enroll_run NAME WANTED_RC TRANSCRIPT PASSWORD ANSWER MODE COMMAND...: runs
# enroll_login.exp; the URI, secret and code it saw land in $WORK/seen.
enroll_run() {
    local name=$1 wanted=$2 transcript=$3
    shift 3
    local rc=0
    rm -f "$WORK/seen"
    expect -f "$EXP" "$WORK/seen" "$@" >"$transcript" 2>&1 || rc=$?
    if [[ $rc != "$wanted" ]]; then
        log "transcript for '$name':"
        sed 's/^/    /' "$transcript" >&2
    fi
    expect_rc "$name" "$wanted" "$rc"
}
seen() { sed -n "s/^$1=//p" "$WORK/seen" 2>/dev/null; }

# qr_decodes TRANSCRIPT: the half-block QR code in the transcript (light modules drawn)
# read by zbarimg equals the otpauth URI printed below it.
qr_decodes() {
    python3 - "$1" "$WORK/qr.pgm" <<'PY' && [[ "$(zbarimg --quiet --raw "$WORK/qr.pgm" 2>/dev/null)" == "$(seen uri)" ]]
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read().replace("\r", "")
lines = text.split("\n")
start = next(i for i, l in enumerate(lines) if "Scan this QR code" in l) + 2
rows = []
for line in lines[start:]:
    if not line.strip() and line == "":
        break
    top = [c not in "\u2588\u2580" for c in line]
    bottom = [c not in "\u2588\u2584" for c in line]
    rows += [top, bottom]
width = max(len(r) for r in rows)
scale = 4
with open(sys.argv[2], "wb") as f:
    f.write(b"P5\n%d %d\n255\n" % (width * scale, len(rows) * scale))
    for r in rows:
        pixels = bytes(0 if (i < len(r) and r[i]) else 255 for i in range(width) for _ in range(scale))
        f.write(pixels * scale)
PY
}

# stored USER: the user has a secret file in the store.
stored() { [[ -f $STORE/$1.secret ]]; }

# --- SSH -------------------------------------------------------------------------------
start_sshd
SSH=(ssh -p "$SSHD_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
    -o LogLevel=ERROR -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no
    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 -F /dev/null)

# Mandatory enrollment (no nullok): a user created a minute ago enrolls at the first login.
install_pam_service sshd sshd-enroll enroll
DAVE=$(new_user_name)
DAVE_PW=$(random_password)
create_user "$DAVE" "$DAVE_PW"
enroll_run "ssh: wrong password: no enrollment offered, refused" 1 "$OUT/ssh-wrong-password.txt" \
    "wrong-$DAVE_PW" right command "${SSH[@]}" -tt "$DAVE@127.0.0.1" 'echo s2fa-login-ok-$((40+2))'
! grep -q otpauth "$OUT/ssh-wrong-password.txt" && ! stored "$DAVE" && pass "ssh: wrong password: nothing shown, nothing stored" ||
    fail "ssh: wrong password: nothing shown, nothing stored"

enroll_run "ssh: first login shows the enrollment, the code from oathtool gives a shell" 0 "$OUT/ssh-first-login.txt" \
    "$DAVE_PW" right shell "${SSH[@]}" -tt "$DAVE@127.0.0.1"
SECRET=$(seen secret)
CODE=$(seen code)
grep -q 'Backup codes' "$OUT/ssh-first-login.txt" && [[ $(grep -cE '^ {4}[a-z]{5}-[a-z]{5}' "$OUT/ssh-first-login.txt") == 10 ]] &&
    pass "ssh: the 10 backup codes are shown once, after the code" || fail "ssh: the 10 backup codes are shown"
grep -q "$(printf '%s' "$SECRET" | sed 's/.\{4\}/& /g; s/ $//')" "$OUT/ssh-first-login.txt" &&
    pass "ssh: the secret is shown in groups of four" || fail "ssh: the secret is shown in groups of four"
qr_decodes "$OUT/ssh-first-login.txt" && pass "ssh: the QR code in the terminal decodes (zbarimg) to the URI shown" ||
    fail "ssh: the QR code in the terminal decodes to the URI shown"
stored "$DAVE" && [[ $(last_step "$DAVE") != 0 ]] && pass "ssh: enrollment stored with the confirming step as last step" ||
    fail "ssh: enrollment stored with the confirming step as last step"

ssh_try "ssh: next login asks for a code; the enrollment's code is refused as a replay" 1 "$DAVE" "$DAVE_PW" "$CODE"
! grep -q otpauth "$WORK/client.log" && pass "ssh: an enrolled user is not offered a new enrollment" ||
    fail "ssh: an enrolled user is not offered a new enrollment"
ssh_try "ssh: next login with a new code gives a shell" 0 "$DAVE" "$DAVE_PW" "$(oathtool --totp -b "$SECRET" -N 'now + 30 seconds')"

EVE=$(new_user_name)
EVE_PW=$(random_password)
create_user "$EVE" "$EVE_PW"
enroll_run "ssh: 3 wrong codes refuse the login" 1 "$OUT/ssh-three-wrong.txt" \
    "$EVE_PW" wrong command "${SSH[@]}" -tt "$EVE@127.0.0.1" 'echo s2fa-login-ok-$((40+2))'
! stored "$EVE" && pass "ssh: 3 wrong codes store nothing" || fail "ssh: 3 wrong codes store nothing"
install_pam_service sshd sshd-enroll enroll nullok
enroll_run "ssh: nullok, empty answer: not now, logged in with the password" 0 "$OUT/ssh-not-now.txt" \
    "$EVE_PW" empty command "${SSH[@]}" -tt "$EVE@127.0.0.1" 'echo s2fa-login-ok-$((40+2))'
! stored "$EVE" && pass "ssh: not now stores nothing" || fail "ssh: not now stores nothing"
enroll_run "ssh: enrollment with a remote command (no pty) also works" 0 "$OUT/ssh-with-command.txt" \
    "$EVE_PW" right command "${SSH[@]}" "$EVE@127.0.0.1" 'echo s2fa-login-ok-$((40+2))'
[[ $(grep -cE '^ {4}[a-z]{5}-[a-z]{5}' "$OUT/ssh-with-command.txt") == 10 ]] && stored "$EVE" &&
    pass "ssh: with a remote command the backup codes come with the prompt after them" ||
    fail "ssh: with a remote command the backup codes come with the prompt after them"

# --- sudo and login through a pty ----------------------------------------------------------
FRANK=$(new_user_name)
FRANK_PW=$(random_password)
create_user "$FRANK" "$FRANK_PW"
SUDOERS_DIR=$WORK/sudoers.d
cp -a /etc/sudoers.d "$SUDOERS_DIR"
printf '%s ALL=(ALL:ALL) ALL\nDefaults:%s passwd_tries=1, timestamp_timeout=0, !lecture, !mail_badpass\n' "$FRANK" "$FRANK" >"$SUDOERS_DIR/s2fa-e2e"
chmod 0440 "$SUDOERS_DIR/s2fa-e2e"
mount --bind "$SUDOERS_DIR" /etc/sudoers.d
E2E_CLEANUP_CMDS+=("rm -f /run/sudo/ts/$FRANK /var/lib/sudo/lectured/$FRANK")
install_pam_service sudo sudo enroll
enroll_run "sudo: enrollment through a pty, then the command runs" 0 "$OUT/sudo-first.txt" \
    "$FRANK_PW" right command runuser -u "$FRANK" -- sudo -k sh -c 'echo s2fa-login-ok-$((40+2))'
stored "$FRANK" && grep -q 'Backup codes' "$OUT/sudo-first.txt" && pass "sudo: stored, backup codes shown" ||
    fail "sudo: stored, backup codes shown"

GINA=$(new_user_name)
GINA_PW=$(random_password)
create_user "$GINA" "$GINA_PW"
install_pam_service login login enroll
enroll_run "login: enrollment on a terminal, then a shell" 0 "$OUT/login-first.txt" \
    "$GINA_PW" right shell login "$GINA"
stored "$GINA" && grep -q 'Backup codes' "$OUT/login-first.txt" && pass "login: stored, backup codes shown" ||
    fail "login: stored, backup codes shown"

# --- Cockpit in headless Chromium ------------------------------------------------------------
COCKPIT_WS=${COCKPIT_WS:-/usr/lib/cockpit/cockpit-ws}
# Debian's python3-selenium, whatever python3 comes first on PATH.
if [[ -x $COCKPIT_WS ]] && command -v chromedriver >/dev/null && /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
    install_pam_service cockpit cockpit-enroll enroll
    CPORT=$(free_port)
    start_bg "$WORK/cockpit-ws.log" "$COCKPIT_WS" --no-tls --port "$CPORT" --address 127.0.0.1
    wait_for_port "$CPORT" 20 || { cat "$WORK/cockpit-ws.log" >&2; die "cockpit-ws did not start on port $CPORT"; }
    HANK=$(new_user_name)
    HANK_PW=$(random_password)
    create_user "$HANK" "$HANK_PW"
    IVY=$(new_user_name)
    IVY_PW=$(random_password)
    create_user "$IVY" "$IVY_PW"
    enroll "$IVY" || die "enrollment of $IVY failed"
    # Chromium's own processes run in the script's process group; cleanup kills it.
    setsid /usr/bin/python3 "$E2E_DIR/lib/cockpit_enroll.py" "http://127.0.0.1:$CPORT/" "$OUT" \
        "$HANK" "$HANK_PW" "$IVY" "$IVY_PW" "$SECRET" >"$WORK/browser.log" 2>&1 &
    BROWSER_PID=$!
    E2E_PGIDS+=("$BROWSER_PID")
    wait "$BROWSER_PID" || true
    sed 's/^/    browser: /' "$WORK/browser.log" >&2
    while read -r verdict name; do
        [[ $verdict == PASS ]] && pass "cockpit: $name" || fail "cockpit: $name"
    done < <(grep -E '^(PASS|FAIL) ' "$WORK/browser.log")
    grep -qE '^(PASS|FAIL) ' "$WORK/browser.log" || fail "cockpit: the browser test ran"
    stored "$HANK" && pass "cockpit: enrollment stored" || fail "cockpit: enrollment stored"
else
    fail "cockpit: cockpit-ws, chromedriver and python3-selenium are installed"
fi
