#!/usr/bin/env bash
# packaging/build-deb.sh: builds the Debian package swift-2fa_VERSION_ARCH.deb with
# dpkg-deb (no debhelper). install.sh builds and stages the files (--destdir, --prefix
# /usr), exactly as it installs them; this script adds the package's own files and
# metadata. The version is the first entry of packaging/deb/changelog. Needs dpkg-dev,
# not root. The package installs on Debian 12 and later without Swift.
#
#   packaging/build-deb.sh [--no-build] [--no-deps] [--build-dir DIR] [--module-runtime=embedded|full] OUT_DIR
set -euo pipefail
umask 022  # the package's directories are 0755, whatever the caller's umask

PROGRAM=build-deb.sh
PACKAGING=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$PACKAGING/.." && pwd)
MODULE_NAME=pam_swift2fa.so
CLI_NAME=swift-2fa-setup

say() { printf '%s: %s\n' "$PROGRAM" "$*"; }
die() { printf '%s: error: %s\n' "$PROGRAM" "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: packaging/$PROGRAM [OPTIONS] OUT_DIR

Builds OUT_DIR/swift-2fa_VERSION_ARCH.deb. Options (passed to install.sh):
  --no-build          package what the build directory already holds
  --no-deps           do not install build packages with apt-get
  --build-dir DIR     Swift build directory (default: .build in the source tree)
  --module-runtime=embedded|full
                      the build of the module to package (default: install.sh's)
  -h, --help          this text
EOF
}

STAGE_ARGS=()
OUT_DIR=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-build | --no-deps) STAGE_ARGS+=("$1") ;;
        --build-dir) [[ $# -ge 2 ]] || die "--build-dir needs a value"; STAGE_ARGS+=(--build-dir "$2"); shift ;;
        --build-dir=* | --module-runtime=*) STAGE_ARGS+=("$1") ;;
        --module-runtime) [[ $# -ge 2 ]] || die "--module-runtime needs a value"; STAGE_ARGS+=(--module-runtime "$2"); shift ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) [[ -z $OUT_DIR ]] || die "one OUT_DIR only (see --help)"; OUT_DIR=$1 ;;
    esac
    shift
done
[[ -n $OUT_DIR ]] || die "no OUT_DIR given (see --help)"

missing=()
for c in dpkg-deb dpkg-shlibdeps dpkg-architecture dpkg-parsechangelog gzip readelf md5sum; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (apt-get install dpkg-dev)"

VERSION=$(dpkg-parsechangelog -l "$PACKAGING/deb/changelog" -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# The module goes under /usr, where Debian 12 and later keep everything (merged /usr:
# /lib is a link to usr/lib, and libpam's /lib/<triplet>/security reaches the same
# directory; bookworm's init-system-helpers depends on usrmerge | usr-is-merged). A path
# under /lib would be unknown to 'dpkg -S /usr/lib/...'.
SECDIR=/usr/lib/$MULTIARCH/security

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT
ROOT=$WORK/root

"$SOURCE_DIR/install.sh" --destdir "$ROOT" --prefix /usr "${STAGE_ARGS[@]}" ||
    die "install.sh could not stage the files (see above)"
[[ -f $ROOT$SECDIR/$MODULE_NAME ]] ||
    die "install.sh did not put $MODULE_NAME in $SECDIR (is /usr merged on this build machine?): $(cd "$ROOT" && find . -name "$MODULE_NAME")"
# The store is made by postinst (an upgrade keeps the enrollments in it).
rm -rf "${ROOT:?}/var"
gzip -9n "$ROOT"/usr/share/man/man*/*.[0-9]

doc=$ROOT/usr/share/doc/swift-2fa
install -d -m 0755 "$ROOT/DEBIAN" "$ROOT/usr/share/pam-configs" "$doc/pam.d-example"
install -m 0644 "$PACKAGING/pam-configs/swift-2fa" "$ROOT/usr/share/pam-configs/swift-2fa"
for file in "$SOURCE_DIR"/pam.d-example/*; do install -m 0644 "$file" "$doc/pam.d-example/"; done
install -d -m 0755 "$doc/hooks-example"
for file in "$SOURCE_DIR"/hooks-example/*; do install -m 0644 "$file" "$doc/hooks-example/"; done
install -m 0644 "$PACKAGING/deb/copyright" "$doc/copyright"
gzip -9n <"$SOURCE_DIR/README.md" >"$doc/README.md.gz"
gzip -9n <"$PACKAGING/deb/changelog" >"$doc/changelog.Debian.gz"
install -D -m 0644 "$PACKAGING/deb/lintian-overrides" "$ROOT/usr/share/lintian/overrides/swift-2fa"
install -m 0755 "$PACKAGING/deb/postinst" "$PACKAGING/deb/prerm" "$PACKAGING/deb/postrm" "$ROOT/DEBIAN/"
chmod 0644 "$doc"/*.gz "$ROOT"/usr/share/man/man*/*.gz

# Depends: from dpkg-shlibdeps (system libraries only: the Swift runtime is linked
# statically), which wants a debian/control to read.
mkdir -p "$WORK/src/debian"
printf 'Source: swift-2fa\n\nPackage: swift-2fa\nArchitecture: any\n' >"$WORK/src/debian/control"
deps=$(cd "$WORK/src" && dpkg-shlibdeps -O "$ROOT$SECDIR/$MODULE_NAME" "$ROOT/usr/bin/$CLI_NAME" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[[ -n $deps ]] || die "dpkg-shlibdeps found no dependencies"
[[ $deps != *swift* ]] || die "the package would depend on a Swift package: $deps"
# DT_RELR (Package.swift packs relocations when the build machine has glibc >= 2.36)
# needs glibc 2.36 to load: say so, whatever dpkg-shlibdeps found.
libc=$(grep -oE 'libc6 \(>= [^)]*\)' <<<"$deps" | head -1 | sed -E 's/.*>= ([^)]*)\)/\1/')
if readelf -d "$ROOT$SECDIR/$MODULE_NAME" | grep -q '(RELR)' && ! dpkg --compare-versions "${libc:-0}" ge 2.36; then
    deps=$(sed -E 's/libc6 \(>= [^)]*\)/libc6 (>= 2.36)/' <<<"$deps")
    [[ $deps == *"libc6 ("* ]] || deps="libc6 (>= 2.36), $deps"
fi
# libqrencode is opened with dlopen (Sources/CQRLoader), so dpkg-shlibdeps cannot see it.
deps="$deps, libqrencode4, libpam-runtime (>= 1.0.1-6), pamtester"
size=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<EOF
Package: swift-2fa
Version: $VERSION
Architecture: $ARCH
Maintainer: swift-2fa developers <dev@swift-2fa.invalid>
Installed-Size: $size
Depends: $deps
Recommends: pgbouncer
Section: admin
Priority: optional
Description: TOTP two-factor authentication PAM module and its enrollment command
 pam_swift2fa asks users who have enrolled for a time-based one-time code
 (RFC 6238, Google Authenticator and compatible apps) after their password,
 in sshd, sudo, su, login, Cockpit or any PAM service. swift-2fa-setup enrolls
 users (QR code, backup codes) and turns the code on or off per service
 (swift-2fa-setup pam enable SERVICE) after trying the new stack.
 .
 The pam-auth-update profile is off by default; pam-auth-update --enable
 swift-2fa asks for the code in every service that includes common-auth.
EOF
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"
out=$OUT_DIR/swift-2fa_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$out" >/dev/null || die "dpkg-deb failed"
say "built: $out"
say "Depends: $deps"
