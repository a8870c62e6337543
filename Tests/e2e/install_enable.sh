#!/usr/bin/env bash
# End-to-end: install.sh --enable / --disable / --uninstall on the live paths, inside a
# private mount namespace: /etc/pam.d, the PAM module directory and /var/lib are private
# copies (or an empty tmpfs), so the host is never touched. --enable tries each new stack
# with pamtester itself; this test checks the edits, the idempotence, the restore when
# the try fails, the uninstall refusal and the non-Debian refusal.
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
# An empty private /var/lib holding only the store, so the live store is not touched.
mount -t tmpfs -o mode=0755 tmpfs /var/lib
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
        grep -q 'sshd' <<<"$OUT" && pass "--uninstall refusal names the file" || fail "--uninstall refusal names the file"
    fi
    run_install "$service: --disable succeeds" 0 --disable "$service"
    [[ $(sum "$file") == "$original" ]] && pass "$service: --disable restores the original bytes" || fail "$service: --disable restores the original bytes"
    [[ ! -e $file.swift-2fa.bak ]] && pass "$service: --disable removes the backup" || fail "$service: --disable removes the backup"
done

# A module that cannot be loaded: the try fails and the file is restored.
original=$(sum /etc/pam.d/sudo)
cp "$WORK/security/pam_swift2fa.so" "$WORK/module.good"
printf 'not an ELF file\n' >"$WORK/security/pam_swift2fa.so"
run_install "broken module: --enable sudo fails" 1 --enable sudo
[[ $(sum /etc/pam.d/sudo) == "$original" ]] && pass "broken module: /etc/pam.d/sudo restored byte for byte" || fail "broken module: /etc/pam.d/sudo restored byte for byte"
grep -q 'restor' <<<"$OUT" && pass "broken module: install.sh says it restored the file" || fail "broken module: install.sh says it restored the file"
cp "$WORK/module.good" "$WORK/security/pam_swift2fa.so"

run_install "unknown service refused" 1 --enable httpd
[[ $OUT == *"unknown service"* ]] && pass "unknown service: clear message" || fail "unknown service: clear message" "$OUT"

# Not Debian: a private /etc/os-release saying Fedora.
printf 'ID=fedora\nID_LIKE=""\nNAME="Fedora Linux"\n' >"$WORK/os-release"
mount --bind "$WORK/os-release" /etc/os-release
run_install "non-Debian system refused" 1 --no-build --no-deps --destdir "$WORK/stage-fedora"
[[ $OUT == *"Debian and Ubuntu only"* && $OUT == *"ID=fedora"* ]] && pass "non-Debian: the message names what is missing" || fail "non-Debian: the message names what is missing" "$OUT"
umount /etc/os-release

# Uninstall, once nothing uses the module any more.
run_install "--uninstall succeeds once no service uses the module" 0 --uninstall
[[ ! -e $PAMDIR/pam_swift2fa.so && ! -e $PREFIX/bin/swift-2fa-setup ]] && pass "--uninstall removed the module and the command" || fail "--uninstall removed the module and the command"
[[ -d /var/lib/swift-2fa ]] && pass "--uninstall keeps the store without --purge" || fail "--uninstall keeps the store without --purge"
run_install "--uninstall --purge succeeds" 0 --uninstall --purge
[[ ! -e /var/lib/swift-2fa ]] && pass "--uninstall --purge removes the store" || fail "--uninstall --purge removes the store"
