#!/usr/bin/env bash
# End-to-end: the Debian package. Builds it with packaging/build-deb.sh, then, inside a
# private mount namespace whose /usr, /etc and /var are overlays (every write lands in the
# test's directory; the host's files, dpkg database and users stay as they were):
#   dpkg -i (the module under /usr/lib/<triplet>/security, the next steps printed); enroll
#   a user; swift-2fa-setup pam enable sudo; log in through sudo with a code; removal
#   refused while /etc/pam.d/sudo uses the module; pam disable sudo; the pam-auth-update
#   profile (off by default, then enabled: common-auth asks for the code, a wrong password
#   counts no failure); dpkg -i over itself keeps the enrollment; the refusal's commands,
#   one per file; a forced removal; removal allowed with only the profile on; dpkg -P
#   (store and /etc/swift-2fa gone); an upgrade from a package with the module under /lib.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=deb
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds dpkg dpkg-deb dpkg-shlibdeps pamtester oathtool pam-auth-update sudo runuser sha256sum
setup_workdir
BUILD_DIR=${S2FA_BUILD_DIR:-$REPO_ROOT/.build}

# 1. Build the package (from the release build the staging step made), as an ordinary
# user would (nobody, in a directory of its own), where nobody can read the tree.
install -d -m 0755 -o nobody "$WORK/dist"
chmod 0711 "$WORK"
builder=(runuser -u nobody --)
as="not as root"
if ! runuser -u nobody -- test -r "$REPO_ROOT/man/pam_swift2fa.8" -a -r "$(built_module "$BUILD_DIR")"; then
    log "nobody cannot read $REPO_ROOT or $BUILD_DIR: the package is built as root"
    builder=()
    as="as root"
fi
"${builder[@]}" "$REPO_ROOT/packaging/build-deb.sh" --no-build --no-deps --build-dir "$BUILD_DIR" \
    --module-runtime="${S2FA_MODULE_RUNTIME:-embedded}" "$WORK/dist" >"$WORK/deb.log" 2>&1 &&
    pass "packaging/build-deb.sh builds a package ($as)" || { cat "$WORK/deb.log" >&2; fail "packaging/build-deb.sh builds a package ($as)"; exit 1; }
DEB=$(ls "$WORK"/dist/swift-2fa_*.deb)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
SECDIR=/usr/lib/$MULTIARCH/security
[[ $(dpkg-deb -f "$DEB" Version) == "$(dpkg-parsechangelog -l "$REPO_ROOT/packaging/deb/changelog" -S Version)" ]] &&
    pass "the package's version is the changelog's" || fail "the package's version is the changelog's" "$(dpkg-deb -f "$DEB" Version)"
[[ $(dpkg-deb -c "$DEB" | grep -c "pam_swift2fa\.so\$") == 1 && $(dpkg-deb -c "$DEB") == *" ./usr/lib/$MULTIARCH/security/pam_swift2fa.so"* ]] &&
    pass "the package has the module under $SECDIR" || fail "the package has the module under $SECDIR" "$(dpkg-deb -c "$DEB" | grep pam_swift2fa)"
[[ $(dpkg-deb -c "$DEB") == *" ./usr/share/doc/swift-2fa/README.md.gz"* ]] && pass "the package has the README" || fail "the package has the README"
[[ $(dpkg-deb -c "$DEB") == *" ./usr/lib/systemd/system/swift-2fa-self.socket"* &&
    $(dpkg-deb -c "$DEB") == *" ./usr/lib/systemd/system/swift-2fa-self@.service"* ]] &&
    pass "the package has the self-service socket's units" || fail "the package has the self-service socket's units"
[[ $(dpkg-deb -c "$DEB") == *" ./usr/share/cockpit/swift-2fa/manifest.json"* ]] && pass "the package has the Cockpit page" || fail "the package has the Cockpit page"
depends=$(dpkg-deb -f "$DEB" Depends)
[[ $depends != *swift* ]] && pass "Depends names no Swift package ($depends)" || fail "Depends names no Swift package" "$depends"
[[ $depends == *libqrencode4* ]] && pass "Depends names libqrencode4 (opened with dlopen)" || fail "Depends names libqrencode4" "$depends"
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
overlay_system_dirs usr etc var
dpkg-query -W swift-2fa >/dev/null 2>&1 && die "swift-2fa is already installed here; remove it first"
common_auth=$(sha256sum </etc/pam.d/common-auth)
sudo_file=$(sha256sum </etc/pam.d/sudo)

dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 && pass "dpkg -i installs it" || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i installs it"; exit 1; }
[[ $(dpkg -S "$SECDIR/pam_swift2fa.so" 2>&1) == "swift-2fa: $SECDIR/pam_swift2fa.so" ]] &&
    pass "dpkg -S $SECDIR/pam_swift2fa.so finds the package" || fail "dpkg -S $SECDIR/pam_swift2fa.so finds the package" "$(dpkg -S "$SECDIR/pam_swift2fa.so" 2>&1)"
[[ -f $SECDIR/pam_swift2fa.so && -f $SECDIR/pam_unix.so ]] && pass "the module is next to pam_unix.so ($SECDIR)" || fail "the module is next to pam_unix.so ($SECDIR)"
# Where libpam looks (its compiled-in directory: /lib/<triplet>/security on Debian 12).
libpam_dir=$(strings "$(readlink -f "/usr/lib/$MULTIARCH/libpam.so.0")" | grep -m1 -E "^/.*/$MULTIARCH/security/?\$" || true)
[[ -n $libpam_dir && -f ${libpam_dir%/}/pam_swift2fa.so ]] && pass "libpam's module directory ($libpam_dir) holds the module" ||
    fail "libpam's module directory holds the module" "${libpam_dir:-not found in libpam.so.0}"
grep -q 'swift-2fa-setup enroll --user NAME' "$WORK/dpkg.log" && grep -q 'swift-2fa-setup pam enable sshd' "$WORK/dpkg.log" &&
    grep -q '/usr/share/doc/swift-2fa/README.md.gz' "$WORK/dpkg.log" &&
    pass "postinst prints the next steps (enroll, pam enable sshd, the README)" || fail "postinst prints the next steps" "$(cat "$WORK/dpkg.log")"
[[ $(stat -c '%U %a' /var/lib/swift-2fa) == "root 700" ]] && pass "postinst: /var/lib/swift-2fa root 0700" || fail "postinst: /var/lib/swift-2fa root 0700"
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "the pam-auth-update profile is off after install" || fail "the pam-auth-update profile is off after install"
ldd /usr/bin/swift-2fa-setup | grep -i swift >/dev/null && fail "swift-2fa-setup needs no Swift library" || pass "swift-2fa-setup needs no Swift library"
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
grep -qxE ' +swift-2fa-setup pam disable sudo' "$WORK/remove.log" && pass "the refusal gives the command for /etc/pam.d/sudo on a line of its own" ||
    fail "the refusal gives the command for /etc/pam.d/sudo on a line of its own" "$(cat "$WORK/remove.log")"
grep -q 'NOT removed, and still works' "$WORK/remove.log" && pass "the refusal says the package still works" || fail "the refusal says the package still works"
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
PAM_TRY_UID=$(id -u "$USER1")
# The next time step: the steps of the enrollment and of the sudo login above are used.
sleep $((31 - $(date +%s) % 30))
pam_try "common-auth: password + code accepted (pamtester, sudo)" 0 sudo "$USER1" "$PW1" "$(fresh_code)"
before=$(state_field "$USER1" failures)
pam_try "common-auth: wrong password refused" 1 sudo "$USER1" "wrong-$PW1" "$(fresh_code)"
[[ $(state_field "$USER1" failures) == "$before" ]] && pass "common-auth: a wrong password counts no failure" || fail "common-auth: a wrong password counts no failure"
pam_try "common-auth: wrong code refused" 1 sudo "$USER1" "$PW1" "$(wrong_code)"
swift-2fa-setup unlock --user "$USER1" >/dev/null 2>&1 || true
run_sudo "$PW1" "${BACKUP_CODES[0]}"
expect_rc "sudo through common-auth: password + backup code" 0 "$RC" "$(cat "$WORK/sudo.err")"

# 6. Upgrade over itself: the enrollment stays.
dpkg -i "$DEB" >"$WORK/dpkg2.log" 2>&1 && pass "dpkg -i over itself (upgrade)" || fail "dpkg -i over itself (upgrade)" "$(cat "$WORK/dpkg2.log")"
grep -q 'Next steps' "$WORK/dpkg2.log" && fail "an upgrade prints no next steps" || pass "an upgrade prints no next steps"
[[ $(sha256sum </var/lib/swift-2fa/"$USER1".secret) == "$secret_sum" ]] && pass "upgrade keeps the enrollment" || fail "upgrade keeps the enrollment"
grep -q pam_swift2fa /etc/pam.d/common-auth && pass "upgrade keeps the profile enabled" || fail "upgrade keeps the profile enabled"

# 7. Removal. With the profile on and other files using the module, the refusal lists
# one command per file, not common-auth (the removal takes the profile out itself).
pam-auth-update --disable swift-2fa >/dev/null 2>&1
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "pam-auth-update --disable restores common-auth" || fail "pam-auth-update --disable restores common-auth"
cp -a /etc/pam.d "$WORK/pam.d.before"
swift-2fa-setup pam enable sudo --no-check >/dev/null 2>&1 || fail "pam enable sudo (again)"
printf 'auth required pam_unix.so\nauth required pam_swift2fa.so\naccount required pam_unix.so\n' >/etc/pam.d/s2fa-panel
pam-auth-update --enable swift-2fa >/dev/null 2>&1
profile_on=$(sha256sum </etc/pam.d/common-auth)
dpkg -r swift-2fa >"$WORK/remove3.log" 2>&1 && fail "dpkg -r refused while sudo and s2fa-panel use the module" ||
    pass "dpkg -r refused while sudo and s2fa-panel use the module"
grep -qx '    swift-2fa-setup pam disable s2fa-panel' "$WORK/remove3.log" && grep -qx '    swift-2fa-setup pam disable sudo' "$WORK/remove3.log" &&
    pass "the refusal gives one command a line: pam disable s2fa-panel, pam disable sudo" || fail "the refusal gives one command a line" "$(cat "$WORK/remove3.log")"
# Every command it lists is for a file that loads the module.
listed_ok=1
while read -r service; do
    grep -qE '^[^#]*pam_swift2fa\.so' "/etc/pam.d/$service" || listed_ok=0
done < <(sed -n 's/^    swift-2fa-setup pam disable //p' "$WORK/remove3.log")
((listed_ok)) && pass "each service the refusal names loads the module" || fail "each service the refusal names loads the module" "$(cat "$WORK/remove3.log")"
grep -q common-auth "$WORK/remove3.log" && fail "the refusal leaves common-auth out (the profile is the package's to remove)" "$(cat "$WORK/remove3.log")" ||
    pass "the refusal leaves common-auth out (the profile is the package's to remove)"
[[ $(sha256sum </etc/pam.d/common-auth) == "$profile_on" && -f $SECDIR/pam_swift2fa.so ]] &&
    pass "the refused removal changed nothing (profile on, module there)" || fail "the refused removal changed nothing (profile on, module there)"

# A line added to common-auth by hand, outside pam-auth-update's block: its own command.
cp /etc/pam.d/common-auth "$WORK/common-auth.profile"
printf 'auth optional pam_swift2fa.so nullok\n' >>/etc/pam.d/common-auth
dpkg -r swift-2fa >"$WORK/remove4.log" 2>&1 && fail "dpkg -r refused with a hand-made common-auth line" || pass "dpkg -r refused with a hand-made common-auth line"
grep -qxF "    sed -i '/^[^#]*pam_swift2fa\\.so/d' /etc/pam.d/common-auth" "$WORK/remove4.log" &&
    pass "the refusal gives the command for the hand-made common-auth line" || fail "the refusal gives the command for the hand-made common-auth line" "$(cat "$WORK/remove4.log")"
cp "$WORK/common-auth.profile" /etc/pam.d/common-auth

# Forced: the warning names the two files at risk, not common-auth; the profile goes.
SWIFT2FA_FORCE_REMOVE=1 dpkg -r swift-2fa >"$WORK/remove2.log" 2>&1 && pass "SWIFT2FA_FORCE_REMOVE=1 dpkg -r removes it" || fail "SWIFT2FA_FORCE_REMOVE=1 dpkg -r removes it" "$(cat "$WORK/remove2.log")"
grep -qx '    /etc/pam.d/sudo' "$WORK/remove2.log" && grep -qx '    /etc/pam.d/s2fa-panel' "$WORK/remove2.log" && ! grep -q common-auth "$WORK/remove2.log" &&
    pass "the forced removal warns about sudo and s2fa-panel, not common-auth" || fail "the forced removal warns about sudo and s2fa-panel, not common-auth" "$(cat "$WORK/remove2.log")"
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "forced removal takes the profile out of common-auth" || fail "forced removal takes the profile out of common-auth"
[[ ! -e $SECDIR/pam_swift2fa.so && ! -e /usr/bin/swift-2fa-setup ]] && pass "dpkg -r removed the module and the command" || fail "dpkg -r removed the module and the command"
[[ -f /var/lib/swift-2fa/$USER1.secret ]] && pass "dpkg -r keeps the enrollments" || fail "dpkg -r keeps the enrollments"
rm -rf /etc/pam.d/*
cp -a "$WORK/pam.d.before/." /etc/pam.d/

# Only the profile on: the removal goes through and leaves common-auth as it was.
dpkg -i "$DEB" >/dev/null 2>&1 || fail "dpkg -i again"
pam-auth-update --enable swift-2fa >/dev/null 2>&1
grep -q pam_swift2fa /etc/pam.d/common-auth || fail "the profile is on again"

# A line changed by hand inside pam-auth-update's block: pam-auth-update then leaves
# common-auth alone, so the removal stops with the command, and nothing changes.
cp /etc/pam.d/common-auth "$WORK/common-auth.profile"
sed -i 's/^\(# end of pam-auth-update config\)/auth\toptional\t\t\tpam_permit.so\n\1/' /etc/pam.d/common-auth
changed=$(sha256sum </etc/pam.d/common-auth)
DEBIAN_FRONTEND=noninteractive dpkg -r swift-2fa >"$WORK/remove6.log" 2>&1 && fail "dpkg -r refused when pam-auth-update keeps its hands off common-auth" ||
    pass "dpkg -r refused when pam-auth-update keeps its hands off common-auth"
grep -qxF "    sed -i '/^[^#]*pam_swift2fa\\.so/d' /etc/pam.d/common-auth" "$WORK/remove6.log" && [[ $(sha256sum </etc/pam.d/common-auth) == "$changed" ]] &&
    pass "that refusal gives the command for common-auth and changes nothing" || fail "that refusal gives the command for common-auth and changes nothing" "$(cat "$WORK/remove6.log")"
cp "$WORK/common-auth.profile" /etc/pam.d/common-auth

dpkg -r swift-2fa >"$WORK/remove5.log" 2>&1 && pass "dpkg -r goes through with only the profile on" || fail "dpkg -r goes through with only the profile on" "$(cat "$WORK/remove5.log")"
[[ $(sha256sum </etc/pam.d/common-auth) == "$common_auth" ]] && pass "the removal took the profile out of common-auth" || fail "the removal took the profile out of common-auth"
grep -qE 'pam_swift2fa|FAIL' "$WORK/remove5.log" && fail "the removal warns about nothing" "$(cat "$WORK/remove5.log")" || pass "the removal warns about nothing"
run_sudo "$PW1"
expect_rc "sudo after removal: password only" 0 "$RC" "$(cat "$WORK/sudo.err")"

# Purge: the store and /etc/swift-2fa (it may hold database credentials) go.
install -d -m 0755 /etc/swift-2fa
printf 'window = 1\n' >/etc/swift-2fa/swift-2fa.conf
chmod 0600 /etc/swift-2fa/swift-2fa.conf
dpkg -P swift-2fa >/dev/null 2>&1 && pass "dpkg -P purges it" || fail "dpkg -P purges it"
[[ ! -e /var/lib/swift-2fa ]] && pass "purge deletes /var/lib/swift-2fa" || fail "purge deletes /var/lib/swift-2fa"
[[ ! -e /etc/swift-2fa ]] && pass "purge deletes /etc/swift-2fa" || fail "purge deletes /etc/swift-2fa"

# 8. An upgrade from a package that put the module under /lib/<triplet>/security (as
# 0.1.0-1 did): the same file under its /usr path, and dpkg keeps it.
dpkg-deb -R "$DEB" "$WORK/old"
mkdir -p "$WORK/old/lib/$MULTIARCH"
mv "$WORK/old/usr/lib/$MULTIARCH/security" "$WORK/old/lib/$MULTIARCH/security"
sed -i "s#^\\([0-9a-f]*  \\)usr/lib/$MULTIARCH/security/#\\1lib/$MULTIARCH/security/#" "$WORK/old/DEBIAN/md5sums"
sed -i 's/^Version: .*/Version: 0.0.1-1/' "$WORK/old/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$WORK/old" "$WORK/old.deb" >/dev/null
dpkg -i "$WORK/old.deb" >/dev/null 2>&1 && [[ $(dpkg -L swift-2fa) == *"/lib/$MULTIARCH/security/pam_swift2fa.so"* ]] || fail "the old-layout package installs"
dpkg -i "$DEB" >"$WORK/dpkg3.log" 2>&1 && pass "upgrade from the /lib layout" || fail "upgrade from the /lib layout" "$(cat "$WORK/dpkg3.log")"
[[ -f $SECDIR/pam_swift2fa.so && $(dpkg -S "$SECDIR/pam_swift2fa.so" 2>&1) == "swift-2fa: $SECDIR/pam_swift2fa.so" ]] &&
    pass "after the upgrade the module is there and dpkg -S finds it by its /usr path" || fail "after the upgrade the module is there and dpkg -S finds it by its /usr path" "$(ls -l "$SECDIR"/pam_swift2fa.so 2>&1)"
dpkg -P swift-2fa >/dev/null 2>&1 || fail "dpkg -P after the upgrade"
