#!/usr/bin/env bash
# End-to-end: real cockpit-ws (Cockpit, a web panel that logs in through PAM) on
# 127.0.0.1 without TLS, with the PAM stack of pam.d-example/cockpit. cockpit-ws runs
# cockpit-session, which answers the first hidden prompt with the password and sends
# the "Verification code: " prompt to the client as an X-Conversation challenge.
# Runs in a private mount namespace; the host's /etc/pam.d is never touched.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=cockpit
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds curl base64 oathtool python3 useradd userdel chpasswd setsid
COCKPIT_WS=${COCKPIT_WS:-/usr/lib/cockpit/cockpit-ws}
[[ -x $COCKPIT_WS ]] || die "cockpit-ws not found at $COCKPIT_WS (apt-get install cockpit-ws cockpit-bridge)"
command -v cockpit-bridge >/dev/null || die "cockpit-bridge missing: a login then fails with 500 (apt-get install cockpit-bridge)"
resolve_artifacts
setup_workdir
private_pam_dir

create_alice_and_bob

PORT=$(free_port)
start_bg "$WORK/cockpit-ws.log" "$COCKPIT_WS" --no-tls --port "$PORT" --address 127.0.0.1
wait_for_port "$PORT" 20 || { cat "$WORK/cockpit-ws.log" >&2; die "cockpit-ws did not start on port $PORT"; }
URL=http://127.0.0.1:$PORT/cockpit/login
log "users: $ALICE (enrolled), $BOB (not enrolled); cockpit-ws on $URL"

b64() { printf '%s' "$1" | base64 -w0; }

# request HEADER_VALUE: GET /cockpit/login with that Authorization header.
# Sets STATUS, CHALLENGE_ID, CHALLENGE_PROMPT (decoded) and COOKIE (the cockpit= cookie, if any).
request() {
    local headers=$WORK/headers line
    curl -sS --max-time 30 -o /dev/null -D "$headers" -H "Authorization: $1" "$URL" || true
    STATUS=$(awk 'NR == 1 { print $2 }' "$headers")
    CHALLENGE_ID=""
    CHALLENGE_PROMPT=""
    COOKIE=""
    line=$(tr -d '\r' <"$headers" | grep -i '^WWW-Authenticate: X-Conversation ' | head -1 || true)
    if [[ -n $line ]]; then
        CHALLENGE_ID=$(awk '{ print $3 }' <<<"$line")
        CHALLENGE_PROMPT=$(awk '{ print $4 }' <<<"$line" | base64 -d 2>/dev/null || true)
    fi
    COOKIE=$(tr -d '\r' <"$headers" | sed -n 's/^[Ss]et-[Cc]ookie: \(cockpit=[^;]*\).*/\1/p' | head -1)
}

# login NAME USER PASSWORD ANSWER WANT   (WANT: ok | refused | refused-before-prompt | ok-without-prompt)
login() {
    local name=$1 user=$2 password=$3 answer=$4 want=$5 detail
    request "Basic $(b64 "$user:$password")"
    if [[ $want == ok-without-prompt ]]; then
        if [[ $STATUS == 200 && -n $COOKIE ]]; then pass "$name"; else fail "$name" "status $STATUS, cookie '${COOKIE:0:16}', challenge '$CHALLENGE_PROMPT'"; fi
        return
    fi
    if [[ $want == refused-before-prompt ]]; then
        if [[ $STATUS == 401 && -z $CHALLENGE_ID ]]; then pass "$name"; else fail "$name" "status $STATUS, challenge '$CHALLENGE_PROMPT'"; fi
        return
    fi
    if [[ $STATUS != 401 || $CHALLENGE_PROMPT != *"Verification code"* ]]; then
        fail "$name" "first answer: status $STATUS, challenge '$CHALLENGE_PROMPT' (wanted 401 + Verification code)"
        return
    fi
    detail="challenge '$CHALLENGE_PROMPT'"
    request "X-Conversation $CHALLENGE_ID $(b64 "$answer")"
    case $want in
        ok) [[ $STATUS == 200 && -n $COOKIE ]] ;;
        refused) [[ $STATUS == 401 && -z $COOKIE ]] ;;
    esac && pass "$name" || fail "$name" "$detail; after the code: status $STATUS, cookie '${COOKIE:0:16}'"
}

install_pam_service cockpit cockpit nullok
login "nullok: unenrolled user logs in with the password only (200, cookie)" "$BOB" "$BOB_PW" - ok-without-prompt
login "nullok: enrolled user gets the code challenge; wrong code gives 401" "$ALICE" "$ALICE_PW" "$(wrong_code)" refused

install_pam_service cockpit cockpit
CODE=$(fresh_code)
login "valid code: 401 X-Conversation 'Verification code' then 200 with a cockpit cookie" "$ALICE" "$ALICE_PW" "$CODE" ok
login "replayed code: 401" "$ALICE" "$ALICE_PW" "$CODE" refused
login "wrong code: 401" "$ALICE" "$ALICE_PW" "$(wrong_code)" refused
# common-auth is included (not a substack), so a wrong password ends the stack: no code
# is asked, and no failure is counted for someone who lacks the password.
before=$(failures_of "$ALICE")
for _ in 1 2 3 4; do
    login "wrong password: 401 before any code is asked" "$ALICE" "wrong-$ALICE_PW" - refused-before-prompt
done
[[ $(failures_of "$ALICE") == "$before" ]] && pass "wrong passwords counted no failure" ||
    fail "wrong passwords counted no failure" "failures $before -> $(failures_of "$ALICE")"
login "unenrolled user without nullok: challenged, then 401" "$BOB" "$BOB_PW" 123456 refused
login "backup code: 200" "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}" ok
login "same backup code again: 401" "$ALICE" "$ALICE_PW" "${BACKUP_CODES[0]}" refused
