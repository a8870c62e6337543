#!/usr/bin/env bash
# End-to-end: swift-2fa's Cockpit page (cockpit/swift-2fa) in headless Chromium with
# Selenium, against a real cockpit-ws, as an ordinary enrolled user. The page runs
# swift-2fa-setup as the user, which talks to the self-service socket served by
# `swift-2fa-setup serve-user` as root. See lib/cockpit_self.py for the steps; a
# screenshot of each lands in the output directory.
# Runs in a private mount namespace whose /usr, /etc and /run are overlays: the page, the
# command, the configuration file and the socket are installed where an installation puts
# them, and vanish with the namespace. The host's /etc/pam.d is never touched.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=cockpit_self
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds oathtool zbarimg python3 useradd userdel chpasswd setsid
COCKPIT_WS=${COCKPIT_WS:-/usr/lib/cockpit/cockpit-ws}
[[ -x $COCKPIT_WS ]] || die "cockpit-ws not found at $COCKPIT_WS (apt-get install cockpit-ws cockpit-bridge)"
command -v chromedriver >/dev/null || die "chromedriver missing (apt-get install chromium-driver)"
/usr/bin/python3 -c 'import selenium' 2>/dev/null || die "python3-selenium missing (apt-get install python3-selenium)"
resolve_artifacts
setup_workdir
OUT=${S2FA_E2E_OUTPUT:-$(mktemp -d /tmp/s2fa-e2e-cockpit-self-output.XXXXXX)}
mkdir -p "$OUT"
overlay_system_dirs usr etc run
private_pam_dir
private_syslog
install_pam_service cockpit cockpit nullok

# The page and the command where install.sh puts them (PREFIX /usr/local); when this script
# runs alone on a build tree, the page comes from the source tree.
PAGE_SRC=${S2FA_SETUP%/bin/swift-2fa-setup}/share/cockpit/swift-2fa
[[ -f $PAGE_SRC/manifest.json ]] || PAGE_SRC=$REPO_ROOT/cockpit/swift-2fa
install -d -m 0755 /usr/local/share/cockpit/swift-2fa /usr/local/bin
install -m 0644 "$PAGE_SRC"/* /usr/local/share/cockpit/swift-2fa/
install -m 0755 "$S2FA_SETUP" /usr/local/bin/swift-2fa-setup
log "page: $PAGE_SRC"
# root's report reads the default configuration file's store.
install -d -m 0755 /etc/swift-2fa
printf 'store = %s\n' "$STORE" >/etc/swift-2fa/swift-2fa.conf
chmod 0644 /etc/swift-2fa/swift-2fa.conf

ALICE=$(new_user_name)
ALICE_PW=$(random_password)
create_user "$ALICE" "$ALICE_PW"
enroll "$ALICE" || die "enrollment of $ALICE failed"
# An admin: not enrolled (the cockpit service has nullok), may use sudo, which Cockpit's
# administrative access goes through (the overlay's /etc/sudoers.d).
ADMIN=$(new_user_name)
ADMIN_PW=$(random_password)
create_user "$ADMIN" "$ADMIN_PW"
printf '%s ALL=(ALL:ALL) ALL\n' "$ADMIN" >/etc/sudoers.d/s2fa-e2e-admin
chmod 0440 /etc/sudoers.d/s2fa-e2e-admin

install -d -m 0755 /run/swift-2fa
start_bg "$WORK/serve-user.log" /usr/local/bin/swift-2fa-setup serve-user --socket /run/swift-2fa/self.sock
for _ in $(seq 50); do [[ -S /run/swift-2fa/self.sock ]] && break; sleep 0.2; done
[[ -S /run/swift-2fa/self.sock ]] || { cat "$WORK/serve-user.log" >&2; die "serve-user did not create /run/swift-2fa/self.sock"; }

PORT=$(free_port)
start_bg "$WORK/cockpit-ws.log" "$COCKPIT_WS" --no-tls --port "$PORT" --address 127.0.0.1
wait_for_port "$PORT" 20 || { cat "$WORK/cockpit-ws.log" >&2; die "cockpit-ws did not start on port $PORT"; }
log "user $ALICE (enrolled); cockpit-ws on http://127.0.0.1:$PORT/; screenshots in $OUT"

# Chromium's own processes run in the script's process group; cleanup kills it.
setsid /usr/bin/python3 "$E2E_DIR/lib/cockpit_self.py" "http://127.0.0.1:$PORT/" "$OUT" \
    "$ALICE" "$ALICE_PW" "$SECRET" "${BACKUP_CODES[0]}" "$ADMIN" "$ADMIN_PW" >"$WORK/browser.log" 2>&1 &
BROWSER_PID=$!
E2E_PGIDS+=("$BROWSER_PID")
wait "$BROWSER_PID" || true
sed 's/^/    browser: /' "$WORK/browser.log" >&2
module_log_lines | sed 's/^/    module: /' >&2
while read -r verdict name; do
    [[ $verdict == PASS ]] && pass "cockpit page: $name" || fail "cockpit page: $name"
done < <(grep -E '^(PASS|FAIL) ' "$WORK/browser.log")
grep -qE '^(PASS|FAIL) ' "$WORK/browser.log" || fail "cockpit page: the browser test ran"

# What the page did, seen from root: the admin's reset removed the enrollment.
rc=0
"$S2FA_SETUP" status --user "$ALICE" --store "$STORE" >/dev/null 2>&1 || rc=$?
expect_rc "cockpit page: root sees the user not enrolled after the admin's reset" 2 "$rc"
