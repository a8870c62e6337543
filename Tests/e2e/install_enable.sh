#!/usr/bin/env bash
# End-to-end: install.sh on the live paths, inside a private mount namespace: /etc/pam.d,
# /etc/sudoers.d, the PAM module directory, /var/lib and the man cache are private copies
# (an overlay, a tmpfs), so the host is never touched. --enable/--disable pass through to
# the installed 'swift-2fa-setup pam enable/disable', which tries each new stack with
# pamtester itself; this test checks the edits, the idempotence, the restore when the try
# fails, the uninstall refusal (one command a file), the non-Debian refusal, and who may
# run it: root without sudo, a user through sudo, a user without sudo told what to do.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015,SC2001
export TEST_NAME=install
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds pamtester oathtool perl setpriv sha256sum
resolve_artifacts
[[ -x ${S2FA_SETUP:-} ]] || die "needs the real swift-2fa-setup (S2FA_SETUP)"
setup_workdir
private_pam_dir
INSTALL=$REPO_ROOT/install.sh

# The PAM module directory: a private copy holding the module under test.
PAMDIR=$(dirname "$(readlink -f "$(find /lib /usr/lib -name pam_unix.so -path '*security*' | sort | head -1)")")
cp -a "$PAMDIR" "$WORK/security"
install -m 0644 "$S2FA_MODULE" "$WORK/security/pam_swift2fa.so"
mount --bind "$WORK/security" "$PAMDIR"
# The command, under a private prefix (the uninstall below removes it).
install -D -m 0755 "$S2FA_SETUP" "$WORK/prefix/bin/swift-2fa-setup"
PREFIX=$WORK/prefix
# A private /var/lib: an overlay whose writes land in WORK (the live store is not touched;
# dpkg's database stays readable, install.sh asks it which packages are there), with an
# empty store.
mkdir -p "$WORK/varlib/upper" "$WORK/varlib/work"
mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$WORK/varlib/upper,workdir=$WORK/varlib/work" /var/lib
rm -rf /var/lib/swift-2fa
install -d -m 0700 /var/lib/swift-2fa

sum() { sha256sum "$1" | cut -d' ' -f1; }
module_lines() { grep -cE '^[[:space:]]*[^#[:space:]].*pam_swift2fa\.so' "$1" || true; }

# run_install NAME WANTED_RC ARGS...: runs install.sh, keeps its output in OUT.
run_install() {
    local name=$1 wanted=$2
    shift 2
    RC=0
    OUT=$("$INSTALL" --prefix "$PREFIX" "$@" 2>&1) || RC=$?
    if [[ $RC != "$wanted" ]]; then
        log "install.sh $* said:"
        sed 's/^/    /' <<<"$OUT" >&2
    fi
    expect_rc "$name" "$wanted" "$RC"
}

for service in sshd sudo su login cockpit; do
    file=/etc/pam.d/$service
    if [[ ! -f $file ]]; then
        fail "$service: /etc/pam.d/$service exists (install the package that owns it)"
        continue
    fi
    original=$(sum "$file")
    run_install "$service: --enable succeeds (its pamtester try passes)" 0 --enable "$service"
    if grep -q 'ok: an enrolled user with password and valid code logs in' <<<"$OUT" &&
        grep -q 'ok: an enrolled user with a wrong code is refused' <<<"$OUT" &&
        grep -q 'ok: a user who has not enrolled logs in with the password (nullok)' <<<"$OUT"; then
        pass "$service: the try covered valid code, wrong code and nullok"
    else
        fail "$service: the try covered valid code, wrong code and nullok" "$(tr '\n' ' ' <<<"$OUT")"
    fi
    [[ $(module_lines "$file") == 1 ]] && pass "$service: exactly one module line" || fail "$service: exactly one module line" "$(module_lines "$file")"
    # The line follows the password module.
    prev=$(grep -vE '^[[:space:]]*(#|$)' "$file" | grep -B1 -E 'pam_swift2fa\.so' | head -1)
    if [[ $prev =~ common-auth|pam_unix\.so ]]; then pass "$service: placed right after the password module"; else fail "$service: placed right after the password module" "previous line: $prev"; fi
    grep -qE '^auth[[:space:]]+required[[:space:]]+pam_swift2fa\.so nullok$' "$file" && pass "$service: line has nullok" || fail "$service: line has nullok"
    [[ -f $file.swift-2fa.bak && $(sum "$file.swift-2fa.bak") == "$original" ]] && pass "$service: backup holds the original" || fail "$service: backup holds the original"
    edited=$(sum "$file")
    run_install "$service: --enable again succeeds" 0 --enable "$service"
    [[ $(sum "$file") == "$edited" ]] && pass "$service: --enable again changes nothing" || fail "$service: --enable again changes nothing"
    if [[ $service == sshd ]]; then
        run_install "--uninstall refuses while /etc/pam.d uses the module" 1 --uninstall
        [[ -f $PAMDIR/pam_swift2fa.so && -x $PREFIX/bin/swift-2fa-setup ]] && pass "--uninstall refusal removed nothing" || fail "--uninstall refusal removed nothing"
        grep -qx '    swift-2fa-setup pam disable sshd' <<<"$OUT" && pass "--uninstall refusal gives the command for sshd on a line of its own" ||
            fail "--uninstall refusal gives the command for sshd on a line of its own" "$OUT"
    fi
    run_install "$service: --disable succeeds" 0 --disable "$service"
    [[ $(sum "$file") == "$original" ]] && pass "$service: --disable restores the original bytes" || fail "$service: --disable restores the original bytes"
    [[ ! -e $file.swift-2fa.bak ]] && pass "$service: --disable removes the backup" || fail "$service: --disable removes the backup"
done

# A module that cannot be loaded: the try fails and the file is restored.
original=$(sum /etc/pam.d/sudo)
cp "$WORK/security/pam_swift2fa.so" "$WORK/module.good"
printf 'not an ELF file\n' >"$WORK/security/pam_swift2fa.so"
# swift-2fa-setup's exit status comes through: 74 for a failed try.
run_install "broken module: --enable sudo fails with the command's status" 74 --enable sudo
[[ $(sum /etc/pam.d/sudo) == "$original" ]] && pass "broken module: /etc/pam.d/sudo restored byte for byte" || fail "broken module: /etc/pam.d/sudo restored byte for byte"
grep -q 'restor' <<<"$OUT" && pass "broken module: the output says the file was restored" || fail "broken module: the output says the file was restored"
cp "$WORK/module.good" "$WORK/security/pam_swift2fa.so"

run_install "a service without a PAM file: --enable refused" 74 --enable s2fa-no-such-service
[[ $OUT == *"/etc/pam.d/s2fa-no-such-service does not exist"* ]] && pass "a service without a PAM file: clear message" || fail "a service without a PAM file: clear message" "$OUT"

# Not Debian: a private /etc/os-release saying Fedora.
printf 'ID=fedora\nID_LIKE=""\nNAME="Fedora Linux"\n' >"$WORK/os-release"
mount --bind "$WORK/os-release" /etc/os-release
run_install "non-Debian system refused" 1 --no-build --no-deps --destdir "$WORK/stage-fedora"
[[ $OUT == *"Debian and Ubuntu only"* && $OUT == *"ID=fedora"* ]] && pass "non-Debian: the message names what is missing" || fail "non-Debian: the message names what is missing" "$OUT"
umount /etc/os-release

# Who may run it. A private /var/cache/man (a live install runs mandb) and /etc/sudoers.d.
if [[ -d /var/cache/man ]]; then mount -t tmpfs -o mode=0755 tmpfs /var/cache/man; fi
cp -a /etc/sudoers.d "$WORK/sudoers.d"
mount --bind "$WORK/sudoers.d" /etc/sudoers.d
# A copy of the scripts and the build that an ordinary user can read (WORK is root's).
BUILD_DIR=${S2FA_BUILD_DIR:-$REPO_ROOT/.build}
SHARED=$(mktemp -d /tmp/s2fa-e2e-install-shared.XXXXXX)
E2E_CLEANUP_CMDS+=("rm -rf -- '$SHARED'")
chmod 0755 "$SHARED"
install -d -m 0755 "$SHARED/src" "$SHARED/build/release" "$SHARED/bin" "$SHARED/stub" "$SHARED/out"
# What install.sh installs from the source tree: man pages, the Cockpit page, the systemd units.
install -d -m 0755 "$SHARED/src/packaging"
cp -a "$REPO_ROOT/install.sh" "$REPO_ROOT/test.sh" "$REPO_ROOT/man" "$REPO_ROOT/cockpit" "$SHARED/src/"
cp -a "$REPO_ROOT/packaging/systemd" "$SHARED/src/packaging/"
MODULE_BUILT=$(built_module "$BUILD_DIR")
RUNTIME_ARG=--module-runtime=${S2FA_MODULE_RUNTIME:-embedded}
install -D -m 0644 "$MODULE_BUILT" "$SHARED/build/${MODULE_BUILT#"$BUILD_DIR"/}"
install -m 0755 "$BUILD_DIR/release/swift-2fa-setup" "$SHARED/build/release/"
USER1=$(new_user_name)
E2E_USERS+=("$USER1")
useradd --no-create-home --shell /bin/sh "$USER1"
chown "$USER1" "$SHARED/out"
# A PATH with what the scripts need before they know who they are, and no sudo.
for c in bash env id dirname; do ln -s "$(command -v "$c")" "$SHARED/bin/$c"; done
# A sudo that only records how it was called, first on PATH: for test.sh (a real sudo
# would run every test) and to show that root never calls sudo.
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >%s/out/sudo-called\nexit 0\n' "$SHARED" >"$SHARED/stub/sudo"
chmod 0755 "$SHARED/stub/sudo"

# Root, with no usable sudo: installs, and never calls sudo.
RC=0
OUT=$(PATH=$SHARED/stub:$PATH "$SHARED/src/install.sh" --no-build --no-deps --build-dir "$SHARED/build" "$RUNTIME_ARG" --prefix "$WORK/prefix-root" 2>&1) || RC=$?
expect_rc "root without sudo: ./install.sh installs" 0 "$RC" "$OUT"
[[ -x $WORK/prefix-root/bin/swift-2fa-setup && ! -e $SHARED/out/sudo-called ]] && pass "root without sudo: installed, sudo never called" ||
    fail "root without sudo: installed, sudo never called" "$(cat "$SHARED/out/sudo-called" 2>/dev/null)"

# A user with sudo (a NOPASSWD rule for the script): it runs itself again through the real sudo.
printf '%s ALL=(root) NOPASSWD: %s/src/install.sh\n' "$USER1" "$SHARED" >/etc/sudoers.d/s2fa-e2e-install
chmod 0440 /etc/sudoers.d/s2fa-e2e-install
rm -f "$PAMDIR/pam_swift2fa.so"
RC=0
OUT=$(cd "$SHARED" && runuser -u "$USER1" -- ./src/install.sh --no-build --no-deps --build-dir "$SHARED/build" "$RUNTIME_ARG" --prefix "$SHARED/prefix-sudo" 2>&1 </dev/null) || RC=$?
expect_rc "a user with sudo: ./install.sh installs" 0 "$RC" "$OUT"
[[ $OUT == *"not root: running it again through sudo"* ]] && pass "a user with sudo: it says it runs again through sudo" || fail "a user with sudo: it says it runs again through sudo" "$OUT"
[[ $(stat -c %U "$SHARED/prefix-sudo/bin/swift-2fa-setup" 2>/dev/null) == root && $(stat -c %U "$PAMDIR/pam_swift2fa.so" 2>/dev/null) == root ]] &&
    pass "a user with sudo: the command and the module are installed, owned by root" || fail "a user with sudo: the command and the module are installed, owned by root"
rm -f /etc/sudoers.d/s2fa-e2e-install

# A user without sudo: told to use a root shell, nothing installed.
RC=0
OUT=$(cd "$SHARED" && runuser -u "$USER1" -- "$SHARED/bin/env" PATH="$SHARED/bin" ./src/install.sh --no-build --no-deps --build-dir "$SHARED/build" "$RUNTIME_ARG" --prefix "$SHARED/prefix-nosudo" 2>&1) || RC=$?
expect_rc "a user without sudo: ./install.sh refused" 1 "$RC" "$OUT"
[[ $OUT == *"sudo is not installed"*"su -"* && ! -e $SHARED/prefix-nosudo ]] && pass "a user without sudo: it says to use a root shell, and installs nothing" ||
    fail "a user without sudo: it says to use a root shell, and installs nothing" "$OUT"
RC=0
OUT=$(cd "$SHARED" && runuser -u "$USER1" -- "$SHARED/bin/env" PATH="$SHARED/bin" ./src/test.sh 2>&1) || RC=$?
expect_rc "a user without sudo: ./test.sh refused" 1 "$RC" "$OUT"
[[ $OUT == *"sudo is not installed"*"su -"* ]] && pass "a user without sudo: test.sh says to use a root shell" || fail "a user without sudo: test.sh says to use a root shell" "$OUT"
# A user with sudo: test.sh hands itself, by its full path, to sudo (module: a tier that needs root).
RC=0
OUT=$(cd "$SHARED" && runuser -u "$USER1" -- "$SHARED/bin/env" PATH="$SHARED/stub:$SHARED/bin" ./src/test.sh module 2>&1) || RC=$?
[[ $RC == 0 && $(cat "$SHARED/out/sudo-called" 2>/dev/null) == "-- $SHARED/src/test.sh module" ]] &&
    pass "a user with sudo: ./test.sh runs itself again through sudo" || fail "a user with sudo: ./test.sh runs itself again through sudo" "rc $RC; $OUT; $(cat "$SHARED/out/sudo-called" 2>/dev/null)"

# Uninstall, once nothing uses the module any more.
run_install "--uninstall succeeds once no service uses the module" 0 --uninstall
[[ ! -e $PAMDIR/pam_swift2fa.so && ! -e $PREFIX/bin/swift-2fa-setup ]] && pass "--uninstall removed the module and the command" || fail "--uninstall removed the module and the command"
[[ -d /var/lib/swift-2fa ]] && pass "--uninstall keeps the store without --purge" || fail "--uninstall keeps the store without --purge"
run_install "--uninstall --purge succeeds" 0 --uninstall --purge
[[ ! -e /var/lib/swift-2fa ]] && pass "--uninstall --purge removes the store" || fail "--uninstall --purge removes the store"
