#!/usr/bin/env bash
# install.sh: build and install swift-2fa (the pam_swift2fa.so PAM module and the
# swift-2fa-setup command), and switch the second factor on or off for a service.
# Run ./install.sh --help for the options.
set -euo pipefail

PROGRAM=install.sh
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE_NAME=pam_swift2fa.so
CLI_NAME=swift-2fa-setup
STORE_DIR=/var/lib/swift-2fa
BACKUP_SUFFIX=.swift-2fa.bak
SERVICES=(sshd sudo su login cockpit)
BUILD_DEPS=(libpam0g-dev nettle-dev libqrencode-dev pkg-config binutils patchelf)
# What the installed module and command load (the -dev packages above pull them in).
RUNTIME_DEPS=(libpam0g libnettle8 libqrencode4)
CHECK_DEPS=(pamtester)

PREFIX=/usr/local
DESTDIR=${DESTDIR:-}
BUILD_DIR=""
DO_BUILD=1
DO_DEPS=1
FORCE=0
PURGE=0
ACTION=install
DEB_DIR=""
PACKAGE_VERSION=0.1.0-1
declare -a ENABLE=() DISABLE=()

usage() {
    cat <<EOF
Usage: sudo ./$PROGRAM [OPTIONS]

Without --enable, --disable or --uninstall: installs the build dependencies with
apt, builds in release mode and installs
  pam_swift2fa.so     into the directory that holds pam_unix.so (mode 0644, root)
  swift-2fa-setup     into PREFIX/bin
  man pages           into PREFIX/share/man/man8 and man1
  the store           $STORE_DIR (root, mode 0700)
It never edits /etc/pam.d unless asked with --enable. Running it again is safe.

Options:
  --prefix DIR        where the command and man pages go (default: /usr/local)
  --destdir DIR       stage the install under DIR (also: DESTDIR=DIR in the
                      environment); never touches /etc/pam.d or the live store
  --build-dir DIR     Swift build directory (swift build --scratch-path DIR;
                      default: .build in the source tree)
  --no-build          do not build; install what DIR/release already holds
  --no-deps           do not install packages with apt-get
  --deb DIR           build a Debian package (swift-2fa_VERSION_ARCH.deb) into DIR
                      instead of installing; needs dpkg-dev, not root. The package
                      installs on machines without Swift
  --uninstall         remove what the install put in place (keeps the store;
                      add --purge to delete it, with every enrollment). Refuses
                      while a file under /etc/pam.d still uses the module,
                      unless --force is given
  --enable SERVICE    add the module to /etc/pam.d/SERVICE, after the password
                      module, with nullok; SERVICE is one of: ${SERVICES[*]}.
                      The file is backed up to SERVICE$BACKUP_SUFFIX, the new stack
                      is tried with pamtester, and the backup is restored if the
                      try fails. May be given more than once. Runs the installed
                      '$CLI_NAME pam enable SERVICE', which also works without
                      the source tree.
  --disable SERVICE   remove the module line from /etc/pam.d/SERVICE
                      ('$CLI_NAME pam disable SERVICE')
  --force             with --uninstall: uninstall even if PAM still uses the module
  --purge             with --uninstall: also delete $STORE_DIR
  -h, --help          this text

Examples:
  sudo ./$PROGRAM                      # build and install
  sudo ./$PROGRAM --enable sshd        # ask SSH logins for a code (nullok rollout)
  sudo ./$PROGRAM --disable sshd       # stop asking
  sudo ./$PROGRAM --destdir /tmp/stage --no-deps   # staged install, e.g. for packaging
  ./$PROGRAM --deb dist --no-deps       # build dist/swift-2fa_*.deb
  sudo ./$PROGRAM --uninstall
EOF
}

say() { printf '%s: %s\n' "$PROGRAM" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROGRAM" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROGRAM" "$*" >&2; exit 1; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

parse_args() {
    while [[ $# -gt 0 ]]; do
        case $1 in
            --prefix) need_arg "$@"; PREFIX=$2; shift ;;
            --prefix=*) PREFIX=${1#*=} ;;
            --destdir) need_arg "$@"; DESTDIR=$2; shift ;;
            --destdir=*) DESTDIR=${1#*=} ;;
            --build-dir | --scratch-path) need_arg "$@"; BUILD_DIR=$2; shift ;;
            --build-dir=* | --scratch-path=*) BUILD_DIR=${1#*=} ;;
            --no-build) DO_BUILD=0 ;;
            --no-deps) DO_DEPS=0 ;;
            --uninstall) ACTION=uninstall ;;
            --deb) need_arg "$@"; ACTION=deb; DEB_DIR=$2; shift ;;
            --deb=*) ACTION=deb; DEB_DIR=${1#*=} ;;
            --enable) need_arg "$@"; ENABLE+=("$2"); shift ;;
            --enable=*) ENABLE+=("${1#*=}") ;;
            --disable) need_arg "$@"; DISABLE+=("$2"); shift ;;
            --disable=*) DISABLE+=("${1#*=}") ;;
            --force) FORCE=1 ;;
            --purge) PURGE=1 ;;
            -h | --help) usage; exit 0 ;;
            *) die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
    if ((${#ENABLE[@]} + ${#DISABLE[@]} > 0)); then
        [[ $ACTION == uninstall ]] && die "--uninstall cannot be combined with --enable or --disable"
        ACTION=pam
    fi
    [[ $PREFIX == /* ]] || die "--prefix needs an absolute path, not '$PREFIX'"
    if [[ -n $DESTDIR ]]; then
        [[ $DESTDIR == /* ]] || DESTDIR=$(pwd)/$DESTDIR
        DESTDIR=${DESTDIR%/}
        [[ -n $DESTDIR && $DESTDIR != / ]] || DESTDIR=""
    fi
    if [[ -z $BUILD_DIR ]]; then BUILD_DIR=$SOURCE_DIR/.build; fi
    [[ $BUILD_DIR == /* ]] || BUILD_DIR=$(pwd)/$BUILD_DIR
    local s
    for s in "${ENABLE[@]}" "${DISABLE[@]}"; do
        valid_service "$s" || die "unknown service '$s': use one of ${SERVICES[*]}"
    done
    return 0
}

valid_service() {
    local s
    for s in "${SERVICES[@]}"; do [[ $1 == "$s" ]] && return 0; done
    return 1
}

# --- checks ------------------------------------------------------------------------

require_root() {
    [[ $(id -u) -eq 0 ]] || die "run me as root, e.g.: sudo ./$PROGRAM $*"
}

# Debian and Ubuntu (and their derivatives) only: apt-get and dpkg are required.
require_debian() {
    local id="" like="" missing=()
    if [[ -r /etc/os-release ]]; then
        # shellcheck disable=SC1091
        id=$(. /etc/os-release && printf '%s' "${ID:-}")
        # shellcheck disable=SC1091
        like=$(. /etc/os-release && printf '%s' "${ID_LIKE:-}")
    else
        missing+=("/etc/os-release")
    fi
    command -v apt-get >/dev/null 2>&1 || missing+=("apt-get")
    command -v dpkg-query >/dev/null 2>&1 || missing+=("dpkg-query")
    case " $id $like " in
        *" debian "* | *" ubuntu "*) ;;
        *) missing+=("a Debian or Ubuntu system (/etc/os-release says ID=${id:-unknown}${like:+, ID_LIKE=$like})") ;;
    esac
    if ((${#missing[@]})); then
        die "this installer supports Debian and Ubuntu only; missing: $(join ', ' "${missing[@]}").
  Elsewhere: install the development files of PAM, OpenSSL and libqrencode, then run
    swift build -c release --product pam_swift2fa && swift build -c release --product $CLI_NAME
  and copy .build/release/libpam_swift2fa.so to the directory of pam_unix.so as $MODULE_NAME
  (mode 0644, owner root), and .build/release/$CLI_NAME to $PREFIX/bin."
    fi
}

join() {
    local sep=$1 out="" item
    shift
    for item in "$@"; do out+=${out:+$sep}$item; done
    printf '%s' "$out"
}

require_cmds() {
    local missing=() c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
    ((${#missing[@]} == 0)) || die "missing commands: $(join ', ' "${missing[@]}")"
}

# Installs the given Debian packages that are not installed yet (nothing when all are).
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if ((DO_DEPS == 0)); then
        die "packages missing and --no-deps given: ${missing[*]} (apt-get install ${missing[*]})"
    fi
    say "installing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
        { say "apt-get install failed; refreshing the package lists and trying again"; apt-get update &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } ||
        die "could not install: ${missing[*]}"
}

find_swift() {
    if command -v swift >/dev/null 2>&1; then SWIFT=$(command -v swift); return; fi
    local c
    for c in /opt/swift/usr/bin/swift /usr/share/swift/usr/bin/swift /usr/local/bin/swift; do
        if [[ -x $c ]]; then SWIFT=$c; return; fi
    done
    die "the Swift toolchain (6.x) is missing: no 'swift' on PATH nor in /opt/swift/usr/bin.
  Install it from https://www.swift.org/install/linux/ (or use --no-build with a tree built elsewhere)."
}

# The directory holding pam_unix.so (the system's PAM module directory), on the live system.
pam_module_dir() {
    local found
    found=$(find /lib /usr/lib /lib64 /usr/lib64 -name pam_unix.so -path '*security*' 2>/dev/null | sort | head -1 || true)
    [[ -n $found ]] || die "pam_unix.so not found under /lib or /usr/lib: is libpam-modules installed?"
    # /lib is a symlink to /usr/lib on merged-/usr systems; prefer the canonical path.
    dirname "$(readlink -f "$found")"
}

# --- install -------------------------------------------------------------------------

build() {
    find_swift
    say "building in release mode (swift build -c release --scratch-path $BUILD_DIR)"
    (cd "$SOURCE_DIR" &&
        "$SWIFT" build -c release --scratch-path "$BUILD_DIR" --product pam_swift2fa &&
        "$SWIFT" build -c release --scratch-path "$BUILD_DIR" --product "$CLI_NAME" --static-swift-stdlib) ||
        die "the build failed (see above)"
}

# tidy_module_dynamic_section FILE: two entries SwiftPM leaves in the module's dynamic
# section that an installed PAM module must not carry.
# - libstdc++.so.6 NEEDED: the module carries its own copy of libstdc++ (Package.swift
#   links it statically for the Swift runtime), but the Swift driver still records the
#   shared one. When no symbol is taken from it, drop the entry: loading it costs each
#   login process about 3.7 million instructions (see Benchmarks/README.md).
# - RUNPATH $ORIGIN: would make the loader look for libnettle.so.8 and libpam.so.0 in the
#   PAM module directory first. Nothing the module needs lives there.
tidy_module_dynamic_section() {
    local file=$1
    command -v patchelf >/dev/null || { say "patchelf not found: $MODULE_NAME keeps its libstdc++.so.6 dependency and RUNPATH"; return 0; }
    if readelf -d "$file" | grep -qE '\((RPATH|RUNPATH)\)'; then
        patchelf --remove-rpath "$file"
    fi
    readelf -d "$file" | grep -q 'NEEDED.*\[libstdc++\.so\.6\]' || return 0
    if nm -D --undefined-only "$file" | grep -qE 'GLIBCXX|CXXABI| _Z'; then
        say "$MODULE_NAME uses libstdc++.so.6 symbols: dependency kept"
        return 0
    fi
    patchelf --remove-needed libstdc++.so.6 "$file"
}

# install_file SRC DEST MODE [strip]: atomic (temporary file + rename in the target
# directory, so a process that has the old module mapped keeps working); no-op when equal.
install_file() {
    local src=$1 dest=$2 mode=$3 do_strip=${4:-} dir tmp
    dir=$(dirname "$dest")
    install -d -m 0755 "$dir"
    tmp=$(mktemp "$dir/.$(basename "$dest").XXXXXX")
    cp "$src" "$tmp"
    if [[ $do_strip == strip ]]; then strip --strip-unneeded "$tmp"; fi
    if [[ $do_strip == strip && $dest == *"/$MODULE_NAME" ]]; then tidy_module_dynamic_section "$tmp"; fi
    chown root:root "$tmp"
    chmod "$mode" "$tmp"
    if [[ -f $dest ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c '%a %u %g' "$dest") == "${mode#0} 0 0" ]]; then
        rm -f "$tmp"
        say "unchanged: $dest"
        return 0
    fi
    mv -f "$tmp" "$dest"
    say "installed: $dest"
}

create_store() {
    local store=$DESTDIR$STORE_DIR
    if [[ -L $store ]]; then die "$store is a symbolic link; refusing to use it as the store"; fi
    if [[ -e $store && ! -d $store ]]; then die "$store exists and is not a directory"; fi
    if [[ -d $store ]]; then
        local current
        current=$(stat -c '%u:%g %a' "$store")
        if [[ $current != "0:0 700" ]]; then
            chown root:root "$store"
            chmod 0700 "$store"
            say "store $store: owner/mode was $current, now root:root 700"
        else
            say "unchanged: $store (store)"
        fi
    else
        install -d -m 0755 "$(dirname "$store")"
        install -d -m 0700 -o root -g root "$store"
        say "created: $store (store, root, mode 0700)"
    fi
}

do_install() {
    require_debian
    if ((DO_BUILD)); then
        apt_install "${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}"
    else
        apt_install binutils "${RUNTIME_DEPS[@]}"
    fi
    if [[ -z $DESTDIR ]]; then apt_install "${CHECK_DEPS[@]}"; fi
    ((DO_BUILD)) && build
    local module=$BUILD_DIR/release/libpam_swift2fa.so cli=$BUILD_DIR/release/$CLI_NAME
    [[ -f $module ]] || die "$module is missing: build first (run without --no-build)"
    [[ -x $cli ]] || die "$cli is missing: build first (run without --no-build)"

    local pamdir
    pamdir=$(pam_module_dir)
    install_file "$module" "$DESTDIR$pamdir/$MODULE_NAME" 0644 strip
    install_file "$cli" "$DESTDIR$PREFIX/bin/$CLI_NAME" 0755 strip

    local page section
    for page in pam_swift2fa.8 swift-2fa-setup.1; do
        section=${page##*.}
        if [[ -f $SOURCE_DIR/man/$page ]]; then
            install_file "$SOURCE_DIR/man/$page" "$DESTDIR$PREFIX/share/man/man$section/$page" 0644
        else
            warn "man/$page is not in the source tree; not installed"
        fi
    done
    create_store
    if [[ -z $DESTDIR ]] && command -v mandb >/dev/null 2>&1; then mandb -q 2>/dev/null || true; fi

    if [[ -n $DESTDIR ]]; then
        say "staged under $DESTDIR; /etc/pam.d and $STORE_DIR of this system were not touched."
        return 0
    fi
    "$PREFIX/bin/$CLI_NAME" --help >/dev/null 2>&1 || warn "$PREFIX/bin/$CLI_NAME --help failed; check the build"
    cat <<EOF

Installed. Next steps:
  1. Enroll a user (shows a QR code, asks for a code, prints backup codes):
       sudo $CLI_NAME enroll --user NAME
  2. Keep a root shell open, then ask a service for the code (nullok: users who
     have not enrolled yet keep logging in with their password only):
       sudo $CLI_NAME pam enable sudo
       sudo $CLI_NAME pam enable sshd      # then see pam.d-example/sshd_config.snippet
       sudo $CLI_NAME pam enable cockpit
  3. Log in from a second terminal to check, before closing the root shell.
  Read: man pam_swift2fa, man $CLI_NAME, pam.d-example/README.md
EOF
}

# --- PAM service files -------------------------------------------------------------------

pam_root() { printf '%s/etc/pam.d' "$DESTDIR"; }

# The swift-2fa-setup that edits PAM files: the installed one (staged one with --destdir).
pam_cli() {
    local c
    for c in "$DESTDIR$PREFIX/bin/$CLI_NAME" "$PREFIX/bin/$CLI_NAME" "$BUILD_DIR/release/$CLI_NAME"; do
        if [[ -x $c ]]; then printf '%s' "$c"; return 0; fi
    done
    die "$PREFIX/bin/$CLI_NAME is not installed: run sudo ./$PROGRAM first"
}

# enable_service SERVICE: swift-2fa-setup pam enable (backup, insert after the password
# module, try with pamtester, restore on failure). A staged file is not tried.
enable_service() {
    local service=$1 cli args=()
    cli=$(pam_cli)
    if [[ -n $DESTDIR ]]; then
        args=(--pam-dir "$DESTDIR/etc/pam.d" --no-check)
    else
        [[ -f $(pam_module_dir)/$MODULE_NAME ]] || die "$(pam_module_dir)/$MODULE_NAME is not installed: run sudo ./$PROGRAM first"
    fi
    "$cli" pam enable "$service" "${args[@]}" || die "$CLI_NAME pam enable $service failed (see above)"
}

# disable_service SERVICE: swift-2fa-setup pam disable.
disable_service() {
    local service=$1 cli args=()
    cli=$(pam_cli)
    [[ -z $DESTDIR ]] || args=(--pam-dir "$DESTDIR/etc/pam.d")
    "$cli" pam disable "$service" "${args[@]}" || die "$CLI_NAME pam disable $service failed (see above)"
}

# --- Debian package ----------------------------------------------------------------------

# do_deb: builds DEB_DIR/swift-2fa_VERSION_ARCH.deb with dpkg-deb. Depends: comes from
# dpkg-shlibdeps (system libraries only: the Swift runtime is linked statically).
do_deb() {
    require_debian
    if ((DO_BUILD)) && [[ $(id -u) -eq 0 ]]; then apt_install "${BUILD_DEPS[@]}" dpkg-dev; fi
    require_cmds dpkg-deb dpkg-shlibdeps dpkg-architecture gzip strip readelf
    ((DO_BUILD)) && build
    local module=$BUILD_DIR/release/libpam_swift2fa.so cli=$BUILD_DIR/release/$CLI_NAME
    [[ -f $module && -x $cli ]] || die "$module or $cli is missing: build first (run without --no-build)"
    mkdir -p "$DEB_DIR"
    DEB_DIR=$(cd "$DEB_DIR" && pwd)
    local arch multiarch secdir work root doc deps file
    arch=$(dpkg-architecture -qDEB_HOST_ARCH)
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    # Where libpam-modules puts pam_unix.so (Debian 12: /lib/<triplet>/security; later
    # releases: /usr/lib/...); both reach the same directory on a merged-/usr system.
    secdir=$(dpkg -S "/*/$multiarch/security/pam_unix.so" 2>/dev/null | sed -n 's/^[^:]*:[^ ]* //p' | head -1)
    secdir=$(dirname "${secdir:-/usr/lib/$multiarch/security/pam_unix.so}")
    work=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    root=$work/root
    doc=$root/usr/share/doc/swift-2fa
    install -d -m 0755 "$root/DEBIAN" "$root$secdir" "$root/usr/bin" "$root/usr/share/man/man1" \
        "$root/usr/share/man/man8" "$root/usr/share/pam-configs" "$doc/pam.d-example"
    install -m 0644 "$module" "$root$secdir/$MODULE_NAME"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root$secdir/$MODULE_NAME"
    tidy_module_dynamic_section "$root$secdir/$MODULE_NAME"
    install -m 0755 "$cli" "$root/usr/bin/$CLI_NAME"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$CLI_NAME"
    gzip -9n <"$SOURCE_DIR/man/swift-2fa-setup.1" >"$root/usr/share/man/man1/swift-2fa-setup.1.gz"
    gzip -9n <"$SOURCE_DIR/man/pam_swift2fa.8" >"$root/usr/share/man/man8/pam_swift2fa.8.gz"
    install -m 0644 "$SOURCE_DIR/packaging/pam-configs/swift-2fa" "$root/usr/share/pam-configs/swift-2fa"
    for file in "$SOURCE_DIR"/pam.d-example/*; do install -m 0644 "$file" "$doc/pam.d-example/"; done
    install -m 0644 "$SOURCE_DIR/packaging/deb/copyright" "$doc/copyright"
    install -D -m 0644 "$SOURCE_DIR/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/swift-2fa"
    gzip -9n <"$SOURCE_DIR/packaging/deb/changelog" >"$doc/changelog.Debian.gz"
    install -m 0755 "$SOURCE_DIR/packaging/deb/postinst" "$SOURCE_DIR/packaging/deb/prerm" \
        "$SOURCE_DIR/packaging/deb/postrm" "$root/DEBIAN/"
    chmod 0644 "$doc"/changelog.Debian.gz "$root"/usr/share/man/man*/*.gz
    # dpkg-shlibdeps wants a debian/control to read.
    mkdir -p "$work/src/debian"
    printf 'Source: swift-2fa\n\nPackage: swift-2fa\nArchitecture: any\n' >"$work/src/debian/control"
    deps=$(cd "$work/src" && dpkg-shlibdeps -O "$root$secdir/$MODULE_NAME" "$root/usr/bin/$CLI_NAME" 2>/dev/null |
        sed -n 's/^shlibs:Depends=//p')
    [[ -n $deps ]] || die "dpkg-shlibdeps found no dependencies"
    [[ $deps != *swift* ]] || die "the package would depend on a Swift package: $deps"
    # DT_RELR (Package.swift packs relocations when the build machine has glibc >= 2.36)
    # needs glibc 2.36 to load: say so, whatever dpkg-shlibdeps found.
    local libc
    libc=$(grep -oE 'libc6 \(>= [^)]*\)' <<<"$deps" | head -1 | sed -E 's/.*>= ([^)]*)\)/\1/')
    if readelf -d "$root$secdir/$MODULE_NAME" | grep -q '(RELR)' && ! dpkg --compare-versions "${libc:-0}" ge 2.36; then
        deps=$(sed -E 's/libc6 \(>= [^)]*\)/libc6 (>= 2.36)/' <<<"$deps")
        [[ $deps == *"libc6 ("* ]] || deps="libc6 (>= 2.36), $deps"
    fi
    deps="$deps, libpam-runtime (>= 1.0.1-6), pamtester"
    local size
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<EOF
Package: swift-2fa
Version: $PACKAGE_VERSION
Architecture: $arch
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
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
    chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    local out=$DEB_DIR/swift-2fa_${PACKAGE_VERSION}_$arch.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null || die "dpkg-deb failed"
    say "built: $out"
    say "Depends: $deps"
}

# --- uninstall ---------------------------------------------------------------------------

do_uninstall() {
    local dir users pamdir f
    dir=$(pam_root)
    if [[ -d $dir ]]; then
        users=$(grep -lE '^[[:space:]]*[^#[:space:]].*pam_swift2fa\.so' "$dir"/* 2>/dev/null || true)
        if [[ -n $users ]]; then
            if ((FORCE)); then
                warn "these files still use the module; logins through them will FAIL once it is gone:"
                printf '  %s\n' "$users" >&2
            else
                die "these files still use $MODULE_NAME; remove it from them first (./$PROGRAM --disable SERVICE) or use --force:
$(printf '  %s\n' "$users")"
            fi
        fi
    fi
    pamdir=$(pam_module_dir)
    for f in "$DESTDIR$pamdir/$MODULE_NAME" "$DESTDIR$PREFIX/bin/$CLI_NAME" \
        "$DESTDIR$PREFIX/share/man/man8/pam_swift2fa.8" "$DESTDIR$PREFIX/share/man/man1/swift-2fa-setup.1"; do
        if [[ -e $f || -L $f ]]; then rm -f "$f"; say "removed: $f"; fi
    done
    local store=$DESTDIR$STORE_DIR
    if [[ -d $store ]]; then
        if ((PURGE)); then
            rm -rf -- "$store"
            say "removed: $store (all enrollments)"
        else
            say "kept: $store (enrollments and backup codes); delete it with --uninstall --purge"
        fi
    fi
    say "uninstalled."
}

# --- main --------------------------------------------------------------------------------

main() {
    parse_args "$@"
    if [[ $ACTION == deb ]]; then
        do_deb
        return
    fi
    require_root "$@"
    trap 'exit 130' INT TERM HUP
    case $ACTION in
        install) do_install ;;
        uninstall) do_uninstall ;;
        pam)
            local s
            for s in "${DISABLE[@]}"; do disable_service "$s"; done
            for s in "${ENABLE[@]}"; do enable_service "$s"; done
            ;;
    esac
}

main "$@"
