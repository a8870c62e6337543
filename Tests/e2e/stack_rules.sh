#!/usr/bin/env bash
# End-to-end: the stack rules against real libpam. The four stacks of the review (a
# password line that is optional, [... default=bad], sufficient, and a copied common-auth
# with the module after the jumping pam_unix line) are first run through pamtester with
# the module in them, to show the harm libpam really does, and then refused by
# `pam enable` with their file and line. The copied common-auth, enabled by `pam enable`
# (the module after pam_deny), then logs in right and refuses right, and `pam check`
# passes on it. Last, `pam enable` inside a plain chroot explains why it cannot try the stack.
# The pass/fail helpers always return 0, so "A && pass || fail" is safe here.
# shellcheck disable=SC2015
export TEST_NAME=stack_rules
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "$0")/lib/common.sh"
enter_private_namespace "$@"
require_cmds pamtester setpriv oathtool perl python3 useradd userdel chpasswd chroot unshare
resolve_artifacts
setup_workdir
private_pam_dir

# The PAM module directory: a private copy holding the module under test, so that
# `pam enable` finds it installed and its line (pam_swift2fa.so by name) loads it.
SECURITY=$(dirname "$(readlink -f "$(find /lib /usr/lib -name pam_unix.so -path '*security*' | sort | head -1)")")
cp -a "$SECURITY" "$WORK/security"
install -m 0644 "$S2FA_MODULE" "$WORK/security/pam_swift2fa.so"
mount --bind "$WORK/security" "$SECURITY"

create_alice_and_bob
PAM_TRY_UID=$(id -u "$BOB")

# hostile NAME TEXT: writes the service NAME; "MODULE" in TEXT becomes the module line.
hostile() {
    local module="auth required pam_swift2fa.so nullok store=$STORE"
    printf '%s' "${2//MODULE/$module}" >"$PAM_DIR/$1"
}

# refused NAME TEXT: pam enable refuses the stack TEXT (without the module) at NAME:1
# and leaves the file as it was.
refused() {
    local name=$1 out rc=0
    printf '%s' "$2" >"$PAM_DIR/$name"
    out=$("$S2FA_SETUP" pam enable "$name" --no-check 2>&1) || rc=$?
    [[ $rc == 74 && $out == *"$name:1: "* ]] && pass "$name: pam enable refuses, naming $name:1" || fail "$name: pam enable refuses, naming $name:1" "exit $rc: $out"
    printf '%s' "$2" >"$WORK/expected"
    cmp -s "$PAM_DIR/$name" "$WORK/expected" && [[ ! -e $PAM_DIR/$name.swift-2fa.bak ]] && pass "$name: the refusal changed nothing" || fail "$name: the refusal changed nothing"
    out=$("$S2FA_SETUP" pam enable "$name" 2>&1) || rc=$?
    [[ $rc == 74 && $out == *"$name:1: "* ]] && pass "$name: refused with the try too" || fail "$name: refused with the try too" "exit $rc: $out"
}

# 1. auth optional pam_unix.so: a wrong password plus a valid code logs in.
hostile optional $'auth optional pam_unix.so\nMODULE\n'
pam_try "optional: libpam lets a wrong password with a valid code in" 0 optional "$ALICE" "wrong-$ALICE_PW" "$(fresh_code)"
refused optional $'auth optional pam_unix.so\n'

# 2. [... default=bad] pam_unix.so: a wrong password reaches the module, which counts a failure.
hostile defaultbad $'auth [success=ok new_authtok_reqd=ok ignore=ignore default=bad] pam_unix.so\nMODULE\n'
before=$(failures_of "$ALICE")
pam_try "default=bad: libpam refuses a wrong password" 1 defaultbad "$ALICE" "wrong-$ALICE_PW" "$(wrong_code)"
[[ $(failures_of "$ALICE") -gt $before ]] && pass "default=bad: libpam ran the module after a wrong password (a failure was counted)" || fail "default=bad: libpam ran the module after a wrong password (a failure was counted)"
refused defaultbad $'auth [success=ok new_authtok_reqd=ok ignore=ignore default=bad] pam_unix.so\n'
"$S2FA_SETUP" unlock --user "$ALICE" --store "$STORE" >/dev/null

# 3. sufficient pam_unix.so: the password alone logs in; the module never asks.
hostile sufficient $'auth sufficient pam_unix.so\nMODULE\n'
pam_try "sufficient: libpam lets the password alone in (no code)" 0 sufficient "$ALICE" "$ALICE_PW" "$(wrong_code)"
refused sufficient $'auth sufficient pam_unix.so\nauth required pam_permit.so\n'

# 4. A copied common-auth with the module after the jumping pam_unix line refuses
#    every right password and code.
COPIED=$'auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n'
hostile copiedwrong $'auth [success=1 default=ignore] pam_unix.so nullok\nMODULE\nauth requisite pam_deny.so\nauth required pam_permit.so\n'
sleep $((31 - $(date +%s) % 30)) # a fresh time step for the codes below
pam_try "copied common-auth, module after pam_unix: libpam refuses the right password and code" 1 copiedwrong "$ALICE" "$ALICE_PW" "$(fresh_code)"
out=$("$S2FA_SETUP" pam status 2>&1)
[[ $out == *"warning: copiedwrong: copiedwrong:1: after a right password this line skips the module"* ]] && pass "copied common-auth, module after pam_unix: pam status names copiedwrong:1" || fail "copied common-auth, module after pam_unix: pam status names copiedwrong:1" "$out"

#    pam enable on the copy puts the module after pam_deny, where a right password lands.
printf '%s' "$COPIED" >"$PAM_DIR/copied"
out=$("$S2FA_SETUP" pam enable copied --no-check 2>&1) && rc=0 || rc=$?
[[ $rc == 0 && $out == *"after line 2"* ]] && pass "copied common-auth: pam enable puts the module after pam_deny (line 2)" || fail "copied common-auth: pam enable puts the module after pam_deny (line 2)" "exit $rc: $out"
sed -i -E "s#^(auth +required +pam_swift2fa\\.so nullok)\$#\\1 store=$STORE#" "$PAM_DIR/copied"
grep -q "pam_swift2fa.so nullok store=$STORE" "$PAM_DIR/copied" || fail "copied common-auth: the module line points at the test store"
sleep $((31 - $(date +%s) % 30))
pam_try "copied common-auth, enabled: password + valid code logs in" 0 copied "$ALICE" "$ALICE_PW" "$(fresh_code)"
before=$(failures_of "$ALICE")
pam_try "copied common-auth, enabled: wrong password + valid code refused" 1 copied "$ALICE" "wrong-$ALICE_PW" "$(oathtool --totp -b "$SECRET" -N "now + 60 seconds")"
[[ $(failures_of "$ALICE") == "$before" ]] && pass "copied common-auth, enabled: a wrong password counts no failure" || fail "copied common-auth, enabled: a wrong password counts no failure"
pam_try "copied common-auth, enabled: password + wrong code refused" 1 copied "$ALICE" "$ALICE_PW" "$(wrong_code)"
out=$("$S2FA_SETUP" pam check copied 2>&1) && rc=0 || rc=$?
[[ $rc == 0 && $out == *"ok: a wrong password with a valid code is refused, and no failure is counted"* ]] && pass "copied common-auth, enabled: pam check passes" || fail "copied common-auth, enabled: pam check passes" "exit $rc: $out"
hostile optional $'auth optional pam_unix.so\nMODULE\n'
out=$("$S2FA_SETUP" pam check optional 2>&1) && rc=0 || rc=$?
[[ $rc == 1 && $out == *"FAILED: optional:1: a wrong password does not end the stack"* && $out == *"FAILED: a wrong password with a valid code was accepted"* ]] && pass "optional: pam check fails, by the rules and by pamtester" || fail "optional: pam check fails, by the rules and by pamtester" "exit $rc: $out"

# 5. A plain chroot (a directory that is not a mount point): pam enable explains itself.
ROOT=$WORK/chroot
mkdir -p "$ROOT"/{usr,etc,proc,tmp,opt,s2fa}
for d in usr opt; do mount --rbind "/$d" "$ROOT/$d"; done
for l in bin sbin lib lib64; do [[ -L /$l ]] && ln -s "$(readlink "/$l")" "$ROOT/$l"; done
cp -a "$PAM_DIR" "$ROOT/etc/pam.d"
cp /etc/passwd /etc/group "$ROOT/etc/"
cp "$S2FA_SETUP" "$ROOT/s2fa/swift-2fa-setup"
chroot "$ROOT" /usr/bin/unshare --mount --propagation private /usr/bin/true 2>"$WORK/unshare.err" && rc=0 || rc=$?
[[ $rc != 0 ]] && pass "chroot: unshare --propagation private fails there, as the review saw" || fail "chroot: unshare --propagation private fails there, as the review saw"
out=$(chroot "$ROOT" /s2fa/swift-2fa-setup pam enable sudo 2>&1) && rc=0 || rc=$?
# Without /proc the Swift runtime cannot read the arguments (it reads /proc/self/cmdline):
# the command must refuse instead of running its default action.
[[ $rc == 74 && $out == *"/proc is not mounted"* && $out == *"mount -t proc"* ]] && pass "chroot without /proc: the command says it cannot read its arguments" || fail "chroot without /proc: the command says it cannot read its arguments" "exit $rc: $out"
[[ ! -e $ROOT/var ]] && pass "chroot without /proc: nothing was created" || fail "chroot without /proc: nothing was created"
mount -t proc proc "$ROOT/proc"
out=$(chroot "$ROOT" /s2fa/swift-2fa-setup pam enable sudo 2>&1) && rc=0 || rc=$?
[[ $rc == 74 && $out == *"/ is not a mount point"* && $out == *"pam enable sudo --no-check"* ]] && pass "chroot: pam enable says / is not a mount point and names --no-check" || fail "chroot: pam enable says / is not a mount point and names --no-check" "exit $rc: $out"
cmp -s "$ROOT/etc/pam.d/sudo" "$PAM_DIR/sudo" && [[ ! -e $ROOT/etc/pam.d/sudo.swift-2fa.bak ]] && pass "chroot: nothing was changed" || fail "chroot: nothing was changed"
out=$(chroot "$ROOT" /s2fa/swift-2fa-setup pam enable sudo --no-check 2>&1) && rc=0 || rc=$?
[[ $rc == 0 ]] && grep -q pam_swift2fa "$ROOT/etc/pam.d/sudo" && pass "chroot: pam enable --no-check edits (the rules still checked)" || fail "chroot: pam enable --no-check edits (the rules still checked)" "exit $rc: $out"
umount "$ROOT/proc"; umount -R "$ROOT/usr" "$ROOT/opt"
