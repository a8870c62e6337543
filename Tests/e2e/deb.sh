#!/usr/bin/env bash
# End-to-end: the Debian package. Builds it with install.sh --deb, then, inside a private
# mount namespace whose /usr, /etc and /var are overlays (every write lands in the test's
# directory; the host's files, dpkg database and users stay as they were):
#   dpkg -i; enroll a user; swift-2fa-setup pam enable sudo; log in through sudo with a
#   code; pam disable sudo; the pam-auth-update profile (off by default, then enabled:
#   common-auth asks for the code, a wrong password counts no failure); removal refused
#   while PAM uses the module; dpkg -i over itself keeps the enrollment; dpkg -r, dpkg -P.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=deb
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds dpkg dpkg-deb dpkg-shlibdeps pamtester oathtool pam-auth-update sudo runuser sha256sum
setup_workdir
BUILD_DIR=${S2FA_BUILD_DIR:-$REPO_ROOT/.build}

# 1. Build the package (from the release build the staging step made).
"$REPO_ROOT/install.sh" --deb "$WORK/dist" --no-build --no-deps --build-dir "$BUILD_DIR" >"$WORK/deb.log" 2>&1 &&
    pass "install.sh --deb builds a package" || { cat "$WORK/deb.log" >&2; fail "install.sh --deb builds a package"; exit 1; }
DEB=$(ls "$WORK"/dist/swift-2fa_*.deb)
depends=$(dpkg-deb -f "$DEB" Depends)
[[ $depends != *swift* ]] && pass "Depends names no Swift package ($depends)" || fail "Depends names no Swift package" "$depends"
dpkg-deb -x "$DEB" "$WORK/unpacked"
packed=$(find "$WORK/unpacked" -name pam_swift2fa.so -path '*/security/*')
if [[ $(readelf -d "$packed") == *"(RELR)"* ]]; then
    [[ $depends == *"libc6 (>= 2.36)"* ]] && pass "DT_RELR module: Depends libc6 (>= 2.36)" || fail "DT_RELR module: Depends libc6 (>= 2.36)" "$depends"
else
    pass "module without DT_RELR: no glibc 2.36 floor needed"
fi
if command -v lintian >/dev/null; then
    errors=$(lintian "$DEB" 2>/dev/null | grep '^E:' || true)
    [[ -z $errors ]] && pass "lintian reports no errors" || fail "lintian reports no errors" "$errors"
fi

# 2. A throw-away system: overlays over /usr, /etc and /var (/lib is /usr/lib).
for d in usr etc var; do
    mkdir -p "$WORK/overlay/$d/upper" "$WORK/overlay/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/overlay/$d/upper,workdir=$WORK/overlay/$d/work" "/$d" ||
        die "cannot mount an overlay over /$d"
done
dpkg-query -W swift-2fa >/dev/null 2>&1 && die "swift-2fa is already installed here; remove it first"
common_auth=$(sha256sum </etc/pam.d/common-auth)
sudo_file=$(sha256sum </etc/pam.d/sudo)

dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 && pass "dpkg -i installs it" || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i installs it"; exit 1; }
SECDIR=$(dirname "$(dpkg -L swift-2fa | grep '/security/pam_swift2fa.so$')")
[[ -f $SECDIR/pam_unix.so || -f $(readlink -f "$SECDIR")/pam_unix.so ]] && pass "module next to pam_unix.so ($SECDIR)" || fail "module next to pam_unix.so" "$SECDIR"
[[ $(stat -c '%U %a' /var/lib/swift-2fa) == "root 700" ]] && pass "postinst: /var/lib/swift-2fa root 0700" || fail "postinst: /var/lib/swift-2fa root 0700"
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "the pam-auth-update profile is off after install" || fail "the pam-auth-update profile is off after install"
ldd /usr/bin/swift-2fa-setup | grep -qi swift && fail "swift-2fa-setup needs no Swift library" || pass "swift-2fa-setup needs no Swift library"
[[ -f /usr/share/doc/swift-2fa/pam.d-example/sudo && -f /usr/share/man/man1/swift-2fa-setup.1.gz ]] && pass "docs and man pages installed" || fail "docs and man pages installed"

# 3. A user (only in this namespace: /etc is an overlay) who may use sudo; enrolled.
USER1=$(new_user_name)
PW1=$(random_password)
E2E_USERS+=("$USER1")
useradd --no-create-home --shell /bin/sh "$USER1"
printf '%s:%s\n' "$USER1" "$PW1" | chpasswd
printf '%s ALL=(ALL:ALL) ALL\nDefaults:%s passwd_tries=1, timestamp_timeout=0, !lecture, !mail_badpass\n' "$USER1" "$USER1" >/etc/sudoers.d/s2fa-deb
chmod 0440 /etc/sudoers.d/s2fa-deb
out=$(swift-2fa-setup enroll --user "$USER1" --pending --json) || die "enroll failed: $out"
SECRET=$(json_field secret <<<"$out")
out=$(swift-2fa-setup confirm --user "$USER1" --code "$(oathtool --totp -b "$SECRET")" --json) && pass "enroll and confirm with the installed command" || fail "enroll and confirm with the installed command"
mapfile -t BACKUP_CODES < <(json_field backup_codes <<<"$out")
secret_sum=$(sha256sum </var/lib/swift-2fa/"$USER1".secret 2>/dev/null || true)
[[ -n $secret_sum ]] || fail "the enrollment is in /var/lib/swift-2fa"
STORE=/var/lib/swift-2fa

run_sudo() { # run_sudo ANSWER...: USER1 runs sudo -S -k true
    RC=0
    printf '%s\n' "$@" | runuser -u "$USER1" -- sudo -S -k true >/dev/null 2>"$WORK/sudo.err" || RC=$?
    rm -f "/run/sudo/ts/$USER1"
}
E2E_CLEANUP_CMDS+=("rm -f /run/sudo/ts/$USER1")

# 4. pam enable sudo (tries the stack itself), then sudo with a code.
swift-2fa-setup pam enable sudo >"$WORK/enable.log" 2>&1 && pass "pam enable sudo succeeds" || { cat "$WORK/enable.log" >&2; fail "pam enable sudo succeeds"; }
grep -q 'ok: an enrolled user with password and valid code logs in' "$WORK/enable.log" && pass "pam enable tried the stack with pamtester" || fail "pam enable tried the stack with pamtester"
grep -qE '^sudo +yes' <<<"$(swift-2fa-setup pam status)" && pass "pam status: sudo asks for the code" || fail "pam status: sudo asks for the code"
run_sudo "$PW1" "$(fresh_code)"
expect_rc "sudo: password + valid code" 0 "$RC" "$(cat "$WORK/sudo.err")"
run_sudo "$PW1" "$(wrong_code)"
[[ $RC != 0 ]] && pass "sudo: password + wrong code refused" || fail "sudo: password + wrong code refused"
swift-2fa-setup unlock --user "$USER1" >/dev/null 2>&1 || true
dpkg -r swift-2fa >"$WORK/remove.log" 2>&1 && fail "dpkg -r refused while /etc/pam.d/sudo uses the module" ||
    pass "dpkg -r refused while /etc/pam.d/sudo uses the module"
grep -q '/etc/pam.d/sudo' "$WORK/remove.log" && pass "the refusal names /etc/pam.d/sudo" || fail "the refusal names /etc/pam.d/sudo" "$(cat "$WORK/remove.log")"
[[ -f $SECDIR/pam_swift2fa.so ]] && pass "the refused removal left the module" || fail "the refused removal left the module"
swift-2fa-setup pam disable sudo >/dev/null && pass "pam disable sudo" || fail "pam disable sudo"
[[ $(sha256sum </etc/pam.d/sudo) == "$sudo_file" ]] && pass "pam disable sudo restores the file" || fail "pam disable sudo restores the file"
run_sudo "$PW1"
expect_rc "sudo after pam disable: password only" 0 "$RC" "$(cat "$WORK/sudo.err")"

# 5. The pam-auth-update profile: common-auth asks every service that includes it.
pam-auth-update --enable swift-2fa >"$WORK/pau.log" 2>&1 && pass "pam-auth-update --enable swift-2fa" || fail "pam-auth-update --enable swift-2fa" "$(cat "$WORK/pau.log")"
prev=$(grep -vE '^[[:space:]]*(#|$)' /etc/pam.d/common-auth | grep -B1 'pam_swift2fa\.so' | head -1)
line=$(grep -E 'pam_swift2fa\.so' /etc/pam.d/common-auth | grep -v '^#')
[[ $line =~ required[[:space:]]+pam_swift2fa\.so\ nullok ]] && pass "common-auth: required pam_swift2fa.so nullok" || fail "common-auth: required pam_swift2fa.so nullok" "$line"
awk '/pam_unix\.so/ { u = NR } /pam_deny\.so/ { d = NR } /pam_swift2fa\.so/ { m = NR } END { exit !(u && d && m > u && m > d) }' /etc/pam.d/common-auth &&
    pass "common-auth: the module comes after pam_unix and pam_deny" || fail "common-auth: the module comes after pam_unix and pam_deny" "$prev"
grep -qE '^sshd +yes +common-auth +nullok' <<<"$(swift-2fa-setup pam status)" && pass "pam status: sshd asks through common-auth" || fail "pam status: sshd asks through common-auth" "$(swift-2fa-setup pam status)"
tester() { printf '%s\n' "$@" | setpriv --ruid "$(id -u "$USER1")" -- pamtester -v sudo "$USER1" authenticate >/dev/null 2>&1; }
# The next time step: the steps of the enrollment and of the sudo login above are used.
sleep $((31 - $(date +%s) % 30))
tester "$PW1" "$(fresh_code)" && pass "common-auth: password + code accepted (pamtester, sudo)" || fail "common-auth: password + code accepted"
before=$(state_field "$USER1" failures)
tester "wrong-$PW1" "$(fresh_code)" && fail "common-auth: wrong password refused" || pass "common-auth: wrong password refused"
[[ $(state_field "$USER1" failures) == "$before" ]] && pass "common-auth: a wrong password counts no failure" || fail "common-auth: a wrong password counts no failure"
tester "$PW1" "$(wrong_code)" && fail "common-auth: wrong code refused" || pass "common-auth: wrong code refused"
swift-2fa-setup unlock --user "$USER1" >/dev/null 2>&1 || true
run_sudo "$PW1" "${BACKUP_CODES[0]}"
expect_rc "sudo through common-auth: password + backup code" 0 "$RC" "$(cat "$WORK/sudo.err")"
dpkg -r swift-2fa >/dev/null 2>&1 && fail "dpkg -r refused while common-auth uses the module" || pass "dpkg -r refused while common-auth uses the module"

# 6. Upgrade over itself: the enrollment stays.
dpkg -i "$DEB" >"$WORK/dpkg2.log" 2>&1 && pass "dpkg -i over itself (upgrade)" || fail "dpkg -i over itself (upgrade)" "$(cat "$WORK/dpkg2.log")"
[[ $(sha256sum </var/lib/swift-2fa/"$USER1".secret) == "$secret_sum" ]] && pass "upgrade keeps the enrollment" || fail "upgrade keeps the enrollment"
grep -q pam_swift2fa /etc/pam.d/common-auth && pass "upgrade keeps the profile enabled" || fail "upgrade keeps the profile enabled"

# 7. Removal: forced while common-auth uses it (the profile is taken out), then purge.
pam-auth-update --disable swift-2fa >/dev/null 2>&1
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "pam-auth-update --disable restores common-auth" || fail "pam-auth-update --disable restores common-auth"
pam-auth-update --enable swift-2fa >/dev/null 2>&1
SWIFT2FA_FORCE_REMOVE=1 dpkg -r swift-2fa >"$WORK/remove2.log" 2>&1 && pass "SWIFT2FA_FORCE_REMOVE=1 dpkg -r removes it" || fail "SWIFT2FA_FORCE_REMOVE=1 dpkg -r removes it" "$(cat "$WORK/remove2.log")"
grep -q pam_swift2fa /etc/pam.d/common-auth && fail "forced removal takes the profile out of common-auth" || pass "forced removal takes the profile out of common-auth"
[[ ! -e $SECDIR/pam_swift2fa.so && ! -e /usr/bin/swift-2fa-setup ]] && pass "dpkg -r removed the module and the command" || fail "dpkg -r removed the module and the command"
[[ -f /var/lib/swift-2fa/$USER1.secret ]] && pass "dpkg -r keeps the enrollments" || fail "dpkg -r keeps the enrollments"
run_sudo "$PW1"
expect_rc "sudo after removal: password only" 0 "$RC" "$(cat "$WORK/sudo.err")"
dpkg -P swift-2fa >/dev/null 2>&1 && pass "dpkg -P purges it" || fail "dpkg -P purges it"
[[ ! -e /var/lib/swift-2fa ]] && pass "purge deletes /var/lib/swift-2fa" || fail "purge deletes /var/lib/swift-2fa"
