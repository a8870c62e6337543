#!/usr/bin/env bash
# install.sh: build and install swift-2fa (the pam_swift2fa.so PAM module and the
# swift-2fa-setup command), or uninstall it. Run ./install.sh --help for the options.
# It only builds and installs: packaging/build-deb.sh makes the Debian package (from a
# tree this script stages), and swift-2fa-setup edits PAM.
set -euo pipefail

PROGRAM=install.sh
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE_NAME=pam_swift2fa.so
CLI_NAME=swift-2fa-setup
STORE_DIR=/var/lib/swift-2fa
BUILD_DEPS=(libpam0g-dev nettle-dev libqrencode-dev pkg-config binutils patchelf)
# What the installed module and command load (the -dev packages above pull them in).
RUNTIME_DEPS=(libpam0g libnettle8 libqrencode4)
CHECK_DEPS=(pamtester)

PREFIX=/usr/local
DESTDIR=${DESTDIR:-}
BUILD_DIR=""
DO_BUILD=1
DO_DEPS=1
# Which build of the module: embedded (Embedded Swift, packaging/embedded/build.sh) or full
# (swift build, with the Swift runtime). See docs/embedded.md.
MODULE_RUNTIME=embedded
FORCE=0
PURGE=0
ACTION=install
# --enable/--disable, in the order given: "enable sshd", "disable sudo", ...
declare -a PAM_STEPS=()

usage() {
    cat <<EOF
Usage: ./$PROGRAM [OPTIONS]

Run it as root, or as a user who may use sudo: it then runs itself again through sudo.
With --destdir it also runs as an ordinary user (a staged tree, e.g. for packaging).

Without --uninstall: installs the build dependencies with apt, builds in release mode
and installs
  pam_swift2fa.so     into the directory that holds pam_unix.so (mode 0644, root)
  swift-2fa-setup     into PREFIX/bin
  man pages           into PREFIX/share/man/man8 and man1
  systemd units       swift-2fa-self.socket and swift-2fa-self@.service (the
                      self-service socket, off until enabled) into
                      PREFIX/lib/systemd/system
  the Cockpit page    into PREFIX/share/cockpit/swift-2fa
  the store           $STORE_DIR (root, mode 0700)
It never edits /etc/pam.d: '$CLI_NAME pam enable SERVICE' does that. Running it
again is safe.

Options:
  --prefix DIR        where the command and man pages go (default: /usr/local)
  --destdir DIR       stage the install under DIR (also: DESTDIR=DIR in the
                      environment); never touches /etc/pam.d or the live store.
                      packaging/build-deb.sh builds the Debian package this way
  --build-dir DIR     Swift build directory (swift build --scratch-path DIR;
                      default: .build in the source tree)
  --module-runtime=embedded|full
                      which build of the module to install (default:
                      embedded): embedded is built in Embedded Swift (no Swift
                      runtime, about 0.5 MB; packaging/embedded/build.sh into
                      DIR/embedded), full is swift build's module with the
                      Swift runtime linked in (about 6 MB, DIR/release).
                      The command is the same in both
  --no-build          do not build; install what DIR already holds
  --no-deps           do not install packages with apt-get
  --uninstall         remove what the install put in place (keeps the store;
                      add --purge to delete it, with every enrollment). Refuses
                      while a file under /etc/pam.d still uses the module, and
                      lists the command that takes it out of each, unless
                      --force is given
  --force             with --uninstall: uninstall even if PAM still uses the module
  --purge             with --uninstall: also delete $STORE_DIR
  --enable SERVICE    the same as '$CLI_NAME pam enable SERVICE', with the
  --disable SERVICE   installed command ('pam disable SERVICE'); may be repeated
  -h, --help          this text

Examples:
  ./$PROGRAM                            # build and install
  ./$PROGRAM --destdir /tmp/stage --no-deps   # staged install, e.g. for packaging
  ./$PROGRAM --module-runtime=full      # the module with the full Swift runtime
  ./$PROGRAM --uninstall
  packaging/build-deb.sh dist           # the Debian package, dist/swift-2fa_*.deb
EOF
}

say() { printf '%s: %s\n' "$PROGRAM" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROGRAM" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROGRAM" "$*" >&2; exit 1; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

parse_args() {
    local option
    while [[ $# -gt 0 ]]; do
        case $1 in
            --prefix) need_arg "$@"; PREFIX=$2; shift ;;
            --prefix=*) PREFIX=${1#*=} ;;
            --destdir) need_arg "$@"; DESTDIR=$2; shift ;;
            --destdir=*) DESTDIR=${1#*=} ;;
            --build-dir | --scratch-path) need_arg "$@"; BUILD_DIR=$2; shift ;;
            --build-dir=* | --scratch-path=*) BUILD_DIR=${1#*=} ;;
            --module-runtime) need_arg "$@"; MODULE_RUNTIME=$2; shift ;;
            --module-runtime=*) MODULE_RUNTIME=${1#*=} ;;
            --no-build) DO_BUILD=0 ;;
            --no-deps) DO_DEPS=0 ;;
            --uninstall) ACTION=uninstall ;;
            --deb | --deb=*) die "$1 moved: run packaging/build-deb.sh DIR" ;;
            --enable | --disable) need_arg "$@"; PAM_STEPS+=("${1#--}" "$2"); shift ;;
            --enable=* | --disable=*)
                option=${1%%=*}
                need_arg "$option" "${1#*=}"
                PAM_STEPS+=("${option#--}" "${1#*=}")
                ;;
            --force) FORCE=1 ;;
            --purge) PURGE=1 ;;
            -h | --help) usage; exit 0 ;;
            *) die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
    if ((${#PAM_STEPS[@]})); then
        [[ $ACTION == uninstall ]] && die "--uninstall cannot be combined with --enable or --disable"
        ACTION=pam
    fi
    [[ $MODULE_RUNTIME == embedded || $MODULE_RUNTIME == full ]] ||
        die "--module-runtime is embedded or full, not '$MODULE_RUNTIME'"
    [[ $PREFIX == /* ]] || die "--prefix needs an absolute path, not '$PREFIX'"
    if [[ -n $DESTDIR ]]; then
        [[ $DESTDIR == /* ]] || DESTDIR=$(pwd)/$DESTDIR
        DESTDIR=${DESTDIR%/}
        [[ -n $DESTDIR && $DESTDIR != / ]] || DESTDIR=""
    fi
    [[ $ACTION != pam || -z $DESTDIR ]] ||
        die "--enable and --disable edit this system's /etc/pam.d; for a staged tree use $CLI_NAME pam enable --pam-dir DIR"
    if [[ -z $BUILD_DIR ]]; then BUILD_DIR=$SOURCE_DIR/.build; fi
    [[ $BUILD_DIR == /* ]] || BUILD_DIR=$(pwd)/$BUILD_DIR
    return 0
}

# --- checks ------------------------------------------------------------------------

# as_root ARGS...: returns when this process is root. Otherwise runs the script again
# through sudo with the same arguments, or stops and says how to become root.
as_root() {
    [[ $(id -u) -eq 0 ]] && return 0
    if command -v sudo >/dev/null 2>&1; then
        say "not root: running it again through sudo"
        exec sudo -- "$SOURCE_DIR/$PROGRAM" "$@"
    fi
    die "this needs root, and sudo is not installed. Run it from a root shell
  (su -, then cd $SOURCE_DIR && ./$PROGRAM $*), or install sudo."
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
  Elsewhere: install the development files of PAM, GNU Nettle and libqrencode, then run
    packaging/embedded/build.sh .build/embedded && swift build -c release --product $CLI_NAME
  and copy .build/embedded/$MODULE_NAME to the directory of pam_unix.so (mode 0644, owner
  root), and .build/release/$CLI_NAME to $PREFIX/bin."
    fi
}

join() {
    local sep=$1 out="" item
    shift
    for item in "$@"; do out+=${out:+$sep}$item; done
    printf '%s' "$out"
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
    [[ $(id -u) -eq 0 ]] || die "packages missing: ${missing[*]}; install them as root (apt-get install ${missing[*]}) or run me as root"
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
  Install it from https://www.swift.org/install/linux/ (or use --no-build with a tree built elsewhere).
  sudo resets PATH: for a toolchain elsewhere, run sudo env PATH=\"\$PATH\" ./$PROGRAM"
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
        "$SWIFT" build -c release --scratch-path "$BUILD_DIR" --product "$CLI_NAME" --static-swift-stdlib) ||
        die "the build failed (see above)"
    if [[ $MODULE_RUNTIME == full ]]; then
        (cd "$SOURCE_DIR" && "$SWIFT" build -c release --scratch-path "$BUILD_DIR" --product pam_swift2fa) ||
            die "the build failed (see above)"
    else
        say "building the module in Embedded Swift (packaging/embedded/build.sh $BUILD_DIR/embedded)"
        PATH=$(dirname "$SWIFT"):$PATH "$SOURCE_DIR/packaging/embedded/build.sh" "$BUILD_DIR/embedded" ||
            die "the Embedded Swift build of the module failed (see above; --module-runtime=full builds it with the Swift runtime)"
    fi
}

# The built module that --module-runtime names.
built_module() {
    if [[ $MODULE_RUNTIME == full ]]; then
        printf '%s' "$BUILD_DIR/release/libpam_swift2fa.so"
    else
        printf '%s' "$BUILD_DIR/embedded/$MODULE_NAME"
    fi
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
    if [[ $do_strip == strip ]]; then strip --strip-unneeded --remove-section=.comment --remove-section=.note "$tmp"; fi
    if [[ $do_strip == strip && $dest == *"/$MODULE_NAME" ]]; then tidy_module_dynamic_section "$tmp"; fi
    # Root owns what it installs; a staging user (--destdir) keeps the files.
    if [[ $(id -u) -eq 0 ]]; then chown root:root "$tmp"; fi
    chmod "$mode" "$tmp"
    if [[ -f $dest ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c '%a %u %g' "$dest") == "${mode#0} $(id -u) $(id -g)" ]]; then
        rm -f "$tmp"
        say "unchanged: $dest"
        return 0
    fi
    mv -f "$tmp" "$dest"
    say "installed: $dest"
}

# The self-service socket's systemd units (packaging/systemd), with ExecStart pointing at
# the installed command. They stay off until the admin enables the socket.
install_self_service_units() {
    local unitdir=$DESTDIR$(systemd_unit_dir) unit tmp
    tmp=$(mktemp -d)
    for unit in swift-2fa-self.socket swift-2fa-self@.service; do
        sed "s|@BINDIR@|$PREFIX/bin|g" "$SOURCE_DIR/packaging/systemd/$unit" >"$tmp/$unit"
        install_file "$tmp/$unit" "$unitdir/$unit" 0644
    done
    rm -rf "$tmp"
    if [[ -z $DESTDIR ]] && [[ -d /run/systemd/system ]]; then systemctl daemon-reload || true; fi
}

# Where the units go: PREFIX/lib/systemd/system (/usr/lib/... for the package, and
# /usr/local/lib/systemd/system, which systemd also reads, by default).
systemd_unit_dir() {
    printf '%s/lib/systemd/system' "$PREFIX"
}

create_store() {
    local store=$DESTDIR$STORE_DIR
    if [[ -L $store ]]; then die "$store is a symbolic link; refusing to use it as the store"; fi
    if [[ -e $store && ! -d $store ]]; then die "$store exists and is not a directory"; fi
    if [[ -d $store ]]; then
        local current
        current=$(stat -c '%u:%g %a' "$store")
        if [[ $current != "$(id -u):$(id -g) 700" ]]; then
            chown "$(id -u):$(id -g)" "$store"
            chmod 0700 "$store"
            say "store $store: owner/mode was $current, now $(id -un), mode 0700"
        else
            say "unchanged: $store (store)"
        fi
    else
        install -d -m 0755 "$(dirname "$store")"
        install -d -m 0700 "$store"
        say "created: $store (store, $(id -un), mode 0700)"
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
    local module cli=$BUILD_DIR/release/$CLI_NAME
    module=$(built_module)
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
    install_self_service_units
    # The Cockpit page (Cockpit reads PREFIX/share/cockpit; nothing to build).
    for page in "$SOURCE_DIR"/cockpit/swift-2fa/*; do
        install_file "$page" "$DESTDIR$PREFIX/share/cockpit/swift-2fa/${page##*/}" 0644
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
       sudo $CLI_NAME pam enable sshd      # then the sshd drop-in: README.md, "SSH"
       sudo $CLI_NAME pam enable cockpit
  3. Log in from a second terminal to check, before closing the root shell.
  Read: man pam_swift2fa, man $CLI_NAME, pam.d-example/README.md
EOF
}

# --- PAM service files -------------------------------------------------------------------

# pam_step enable|disable SERVICE: the installed '$CLI_NAME pam enable|disable SERVICE';
# what it prints and its exit status are the command's own.
pam_step() {
    local cli=$PREFIX/bin/$CLI_NAME
    [[ -x $cli ]] || die "$cli is not installed: run ./$PROGRAM first"
    "$cli" pam "$1" "$2"
}

# take_out_command FILE: how to take the module out of FILE, one line for the admin.
take_out_command() {
    local name=${1##*/}
    case $name in
        common-*) printf '%s' "sed -i '/^[^#]*pam_swift2fa\\.so/d' $1" ;;
        *) printf '%s pam disable %s' "$CLI_NAME" "$name" ;;
    esac
}

# --- uninstall ---------------------------------------------------------------------------

do_uninstall() {
    local dir users=() pamdir f
    dir=$DESTDIR/etc/pam.d
    if [[ -d $dir ]]; then
        mapfile -t users < <(grep -lE '^[[:space:]]*[^#[:space:]].*pam_swift2fa\.so' "$dir"/* 2>/dev/null || true)
    fi
    if ((${#users[@]})); then
        if ((FORCE)); then
            warn "--force: these files still use the module; logins through them will FAIL once it is gone:"
            printf '  %s\n' "${users[@]}" >&2
        else
            printf '%s: error: not uninstalled: PAM still uses %s, and logins through these files would fail once it is gone. Take it out of each first:\n' "$PROGRAM" "$MODULE_NAME" >&2
            for f in "${users[@]}"; do printf '    %s\n' "$(take_out_command "$f")" >&2; done
            printf '%s: then run ./%s --uninstall again (or add --force to remove it anyway).\n' "$PROGRAM" "$PROGRAM" >&2
            exit 1
        fi
    fi
    pamdir=$(pam_module_dir)
    if [[ -z $DESTDIR ]] && [[ -d /run/systemd/system ]]; then
        systemctl disable --now swift-2fa-self.socket 2>/dev/null || true
    fi
    for f in "$DESTDIR$pamdir/$MODULE_NAME" "$DESTDIR$PREFIX/bin/$CLI_NAME" \
        "$DESTDIR$PREFIX/share/man/man8/pam_swift2fa.8" "$DESTDIR$PREFIX/share/man/man1/swift-2fa-setup.1" \
        "$DESTDIR$(systemd_unit_dir)/swift-2fa-self.socket" "$DESTDIR$(systemd_unit_dir)/swift-2fa-self@.service"; do
        if [[ -e $f || -L $f ]]; then rm -f "$f"; say "removed: $f"; fi
    done
    f=$DESTDIR$PREFIX/share/cockpit/swift-2fa
    if [[ -d $f ]]; then rm -rf -- "$f"; say "removed: $f"; fi
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
    # A staged tree (--destdir) needs no root; everything that touches this system does.
    if [[ -z $DESTDIR ]]; then as_root "$@"; fi
    trap 'exit 130' INT TERM HUP
    case $ACTION in
        install) do_install ;;
        uninstall) do_uninstall ;;
        pam)
            local i
            for ((i = 0; i < ${#PAM_STEPS[@]}; i += 2)); do pam_step "${PAM_STEPS[i]}" "${PAM_STEPS[i + 1]}"; done
            ;;
    esac
}

main "$@"
