#!/usr/bin/env bash
# Builds the PAM module in Embedded Swift: OUTPUT_DIR/pam_swift2fa.so.
#
#   packaging/embedded/build.sh OUTPUT_DIR
#
# The same sources as the SwiftPM build (PAMSwift2FA, TwoFactorCore, TwoFactorStore and the
# C shims CPAM, CCrypto, CQRLoader), compiled with -enable-experimental-feature Embedded,
# whole-module and -Osize: no Swift runtime, no metadata, nothing that reads the
# environment. Linked with link-time optimisation across all of it, LLVM's machine outliner,
# --gc-sections, the module's export map (only pam_sm_*) and -z now,relro, without libm
# (ceil.c). SwiftPM cannot build one target in Embedded mode and the others not, hence this
# script; the swift build of the package (the command, the tests, the full-Swift
# module) is untouched. See docs/embedded.md.
#
# Needs the Swift toolchain (swiftc on PATH, or /opt/swift/usr/bin) with its Embedded
# standard library, and the -dev packages of libpam, nettle and libqrencode.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTPUT_DIR" >&2; exit 64; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/packaging/embedded
mkdir -p "$1"
output=$(cd "$1" && pwd)

if ! command -v swiftc >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swiftc ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
# The toolchain's own clang and lld, which the Swift driver uses too.
clang=$toolchain/clang
target=x86_64-unknown-linux-gnu
embedded=$toolchain/../lib/swift/embedded/$target
[ -f "$embedded/libswiftUnicodeDataTables.a" ] || { echo "$0: no Embedded Swift for $target in $embedded" >&2; exit 1; }

work=$(mktemp -d /tmp/s2fa-embedded.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/modules" "$work/objects"

# SwiftPM writes the module maps of the C targets; here one per target, over its header.
for shim in CPAM:cpam CCrypto:ccrypto CQRLoader:cqrloader CDetachedRun:cdetachedrun; do
    name=${shim%%:*}
    mkdir -p "$work/modules/$name"
    printf 'module %s {\n    header "%s"\n    export *\n}\n' \
        "$name" "$root/Sources/$name/include/${shim#*:}.h" >"$work/modules/$name/module.modulemap"
done

# One Swift module: its object file, LLVM bitcode for the link-time optimisation (the link
# compiles everything together, a section per function, so that --gc-sections drops what no
# entry point reaches), and its interface for the modules after it. Run from the work
# directory with a relative output path: the module hash the compiler writes into the object
# (.swift_modhash) covers that path, and the temporary directory must not make two builds of
# the same sources differ.
swift_module() {
    local name=$1
    shift
    echo "== $name"
    (cd "$work" && swiftc -target "$target" -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
        -lto=llvm-full -module-name "$name" -emit-module -emit-module-path "modules/$name.swiftmodule" \
        -I modules -I modules/CPAM -I modules/CCrypto -I modules/CQRLoader -I modules/CDetachedRun -I "$here/Glibc" -Xcc -fPIC \
        -c "$@" -o "objects/$name.o")
}

swift_module Glibc "$here/Glibc/Glibc.swift"
swift_module TwoFactorCore "$root"/Sources/TwoFactorCore/*.swift
swift_module TwoFactorStore "$root"/Sources/TwoFactorStore/*.swift
swift_module PAMSwift2FA "$root"/Sources/PAMSwift2FA/*.swift

# The C shims, as bitcode too. Sources/CPAM/no_command_line.c is left out: it replaces a
# part of the full Swift runtime, which this build does not have.
echo "== C shims"
for source in CPAM/pam_entry CPAM/pam_wrappers CPAM/no_environment CCrypto/crypto CQRLoader/qr_loader \
    CDetachedRun/detached_run; do
    "$clang" -c -Os -flto=full -fPIC -ffunction-sections -fdata-sections -fstack-protector-strong -Wall -Werror \
        -I "$root/Sources/${source%%/*}/include" "$root/Sources/$source.c" -o "$work/objects/${source#*/}.o"
done

# ceil without libm (ceil.c), compiled to machine code: the call to it appears only when the
# link generates code. Checked against libm's ceil first.
"$clang" -c -Os -fPIC -Wall -Werror "$here/ceil.c" -o "$work/objects/ceil.o"
"$clang" -O2 -Wall -Werror "$here/ceil_check.c" "$work/objects/ceil.o" -lm -o "$work/ceil_check"
"$work/ceil_check" || { echo "$0: s2fa_ceil (ceil.c) differs from libm's ceil" >&2; exit 1; }

# The same redirections as Package.swift's environmentFreeSymbols (Sources/CPAM/no_environment.c):
# strerror, which the store's messages use, must not follow the caller's locale.
wraps=()
for symbol in getenv secure_getenv environ __environ gettext execvpe strerror; do
    wraps+=("-Wl,--wrap=$symbol")
done

# -z nodelete: stay loaded after the first pam_end, as the full build does. libpam dlcloses
# the module at every pam_end, and what the module allocated once per load (a 128-byte Swift
# object, found by valgrind) is never freed: without it, a process's memory grew by 1.8 MB
# over 9,000 logins (FaultTests' 10,000-login test).
#
# -lto=llvm-full and -flto=full with one link: the three Swift modules and the C shims are
# optimised as one program, 35 KB less than linking object files (2026-12-07). The machine
# outliner moves repeated instruction sequences into functions of their own (-Osize does
# not run it on x86-64): 45 KB less again.
# --defsym=ceil=s2fa_ceil: see ceil.c; no -lm, so --no-undefined fails the link if anything
# else of libm is ever needed. -lnettle before -lpam: libnettle's own 546 symbol relocations
# are looked up through the module's list of libraries, and finding libnettle one place
# earlier saved 22,000 instructions per login (callgrind, 2026-12-07).
echo "== link $output/pam_swift2fa.so"
module=$work/pam_swift2fa.so
"$clang" -shared -fuse-ld=lld -o "$module" "$work"/objects/*.o \
    "$embedded/libswiftUnicodeDataTables.a" \
    -Wl,-mllvm,-enable-machine-outliner=always -Wl,--defsym=ceil=s2fa_ceil \
    -Wl,--gc-sections "${wraps[@]}" \
    "-Wl,--version-script=$root/Sources/PAMSwift2FA/pam_swift2fa.map" \
    -Wl,-z,now -Wl,-z,relro -Wl,-z,nodelete -Wl,-z,pack-relative-relocs -Wl,--no-undefined -Wl,--as-needed \
    -lnettle -lpam

# What the module must never show in its dynamic symbols: exports beyond the PAM entry points,
# or imports of anything that reads the environment (getauxval reads the auxiliary vector; the
# full build imports it). Only a module that passes reaches OUTPUT_DIR.
exports=$("$toolchain/llvm-nm" -D --defined-only "$module" | awk '{print $3}' | sort | tr '\n' ' ')
[ "$exports" = "pam_sm_authenticate pam_sm_setcred " ] || { echo "$0: the module exports $exports" >&2; exit 1; }
imports=$("$toolchain/llvm-nm" -D --undefined-only "$module" | awk '{print $2}' | sed 's/@.*//' |
    grep -xE 'getenv|secure_getenv|__secure_getenv|getauxval|environ|__environ|gettext|dcgettext|execvpe|strerror' || true)
[ -z "$imports" ] || { echo "$0: the module imports" $imports >&2; exit 1; }
mv "$module" "$output/pam_swift2fa.so"
