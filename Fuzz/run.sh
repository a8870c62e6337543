#!/bin/sh
# Builds the libFuzzer harnesses and runs each one for SECONDS (default 60), one after
# the other (one CPU at a time). Fails when any harness crashes or a property fails.
#
#   Fuzz/run.sh [--embedded] [SECONDS] [HARNESS...]
#
# Harnesses are Swift files in Fuzz/harnesses/ compiled with
# `swiftc -sanitize=fuzzer,address -parse-as-library` together with the TwoFactorCore
# sources (no SwiftPM involved) and Sources/CCrypto/crypto.c (clang, ASan), linked
# with the system's -lnettle. Binaries and the growing corpora go to Fuzz/out/
# (git-ignored); the committed seeds in Fuzz/corpus/<name>/ are read-only inputs.
# A crash leaves its input in Fuzz/out/artifacts/<name>/; copy it to Fuzz/regressions/.
# Inputs in Fuzz/regressions/<name>/ are replayed before fuzzing starts.
#
# --embedded: the same harnesses, with the module's sources (and the harness) compiled in
# Embedded Swift as packaging/embedded/build.sh compiles them (-enable-experimental-feature
# Embedded, whole-module, its Glibc stand-in, the toolchain's Unicode tables); binaries,
# corpora and the summary go to Fuzz/out/embedded/. See docs/embedded.md.
#
# Environment: SWIFTC, CLANG (default: from PATH or /opt/swift/usr/bin),
# FUZZ_JOBS_LOG (default Fuzz/out/summary.txt), FUZZ_MAX_LEN (default 4096),
# FUZZ_RUNS: stop each harness after this many executions instead (SECONDS is then a cap),
# e.g. `FUZZ_RUNS=10000000 Fuzz/run.sh 3600` for the 10-million-execution goal.
set -eu
# The Swift runtime's backtracer reads memory that ASan then reports as an overflow,
# hiding the real failure; let libFuzzer and ASan report crashes alone.
export SWIFT_BACKTRACE=enable=no

EMBEDDED=0
if [ "${1:-}" = --embedded ]; then
    EMBEDDED=1
    shift
fi
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT="$HERE/out"
[ "$EMBEDDED" -eq 0 ] || OUT="$HERE/out/embedded"
TOOLCHAIN=/opt/swift/usr/bin
SWIFTC=${SWIFTC:-$(command -v swiftc || echo "$TOOLCHAIN/swiftc")}
CLANG=${CLANG:-$(dirname "$SWIFTC")/clang}
[ -x "$CLANG" ] || CLANG=$(command -v clang)
MAX_LEN=${FUZZ_MAX_LEN:-4096}
# What every swiftc call adds for --embedded, what an Embedded harness links besides, and how
# world.c (the login harness's libpam and files) reaches the module's open and openat.
SWIFT_MODE=""
EMBEDDED_LINK=""
WORLD_MODE=""
if [ "$EMBEDDED" -eq 1 ]; then
    WORLD_MODE="-DLF_EMBEDDED_SWIFT"
    SWIFT_MODE="-target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded -wmo"
    EMBEDDED_LINK="$(dirname "$(readlink -f "$SWIFTC")")/../lib/swift/embedded/x86_64-unknown-linux-gnu/libswiftUnicodeDataTables.a"
fi
SUMMARY=${FUZZ_JOBS_LOG:-$OUT/summary.txt}

# One run at a time per tree: two runs would rebuild the same binaries and archives in
# Fuzz/out under each other. A second run waits for the first.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
if ! flock -n 9; then
    echo "== another Fuzz/run.sh is using $OUT; waiting for it"
    flock 9
fi

ALL="secret_record user_state otpauth_uri code_input module_options postgres_wire config_file login"
# The self-service socket's requests (absent in older trees).
[ -f "$ROOT/Sources/TwoFactorCore/SelfServiceRequest.swift" ] && ALL="$ALL self_request"
# The importers of other tools' files (absent in older trees).
[ -f "$ROOT/Sources/TwoFactorCore/OATHUsersFile.swift" ] && ALL="$ALL oath_import"
[ -f "$ROOT/Sources/TwoFactorCore/PSKCFile.swift" ] && ALL="$ALL pskc_import"
# The google-authenticator import parser: part of TwoFactorCore (compiled with it),
# or, in older trees, of the CLI target (then compiled in as an extra source).
GA_SOURCE=""
if [ -f "$ROOT/Sources/TwoFactorCore/GoogleAuthenticatorFile.swift" ]; then
    ALL="$ALL ga_import"
elif [ -f "$ROOT/Sources/swift-2fa-setup/GoogleAuthenticatorFile.swift" ]; then
    GA_SOURCE="$ROOT/Sources/swift-2fa-setup/GoogleAuthenticatorFile.swift"
    ALL="$ALL ga_import"
fi
HARNESSES=${*:-$ALL}

mkdir -p "$OUT/modules/CCrypto" "$OUT/artifacts"
cat > "$OUT/modules/CCrypto/module.modulemap" <<MAP
module CCrypto {
    header "$ROOT/Sources/CCrypto/include/ccrypto.h"
    link "nettle"
    export *
}
MAP

echo "== building crypto shim"
"$CLANG" -c -g -O1 -fsanitize=address,fuzzer-no-link -I"$ROOT/Sources/CCrypto/include" \
    "$ROOT/Sources/CCrypto/crypto.c" -o "$OUT/crypto.o"

# The whole-login harness (Fuzz/harnesses/login.swift) links the real module: TwoFactorCore,
# TwoFactorStore and PAMSwift2FA as instrumented static libraries (one Swift module each, as
# SwiftPM builds them), the C shims of Sources/CPAM, and Fuzz/harnesses/login/world.c in
# place of libpam, the pooler, libqrencode and the file system. The module's file and socket
# calls, time(), the name-service lookups, PBKDF2 and the event hook's start are wrapped at link time (--wrap); Swift's own
# open/openat live in libswiftGlibc.so, so their references are wrapped by mangled name. In
# Embedded Swift they are the Glibc stand-in's C open and openat (packaging/embedded/Glibc),
# wrapped by their C names.
LOGIN_WRAPS="time stat lstat fstat read write pwrite close fsync fdatasync fchmod fchown flock renameat unlinkat mkdir usleep
socket connect send recv poll getsockopt getpeername
getpwnam_r getpwuid_r getgrnam_r getgrouplist s2fa_pbkdf2_sha256 s2fa_run_detached"
if [ "$EMBEDDED" -eq 1 ]; then
    LOGIN_WRAPS="$LOGIN_WRAPS open openat"
else
    LOGIN_WRAPS="$LOGIN_WRAPS \$s5Glibc4openys5Int32VSPys4Int8VG_ADtF \$s5Glibc4openys5Int32VSPys4Int8VG_ADs6UInt32VtF
\$s5Glibc6openatys5Int32VAD_SPys4Int8VGADs6UInt32VtF"
fi

build_login() {
    lib="$OUT/login-lib"
    mkdir -p "$lib"
    for shim in CPAM CQRLoader CDetachedRun; do
        mkdir -p "$lib/$shim"
        printf 'module %s {\n    header "%s"\n    export *\n}\n' "$shim" "$(ls "$ROOT/Sources/$shim/include/"*.h)" \
            > "$lib/$shim/module.modulemap"
    done
    mkdir -p "$lib/LoginWorld"
    printf 'module LoginWorld {\n    header "%s"\n    export *\n}\n' "$HERE/harnesses/login/world.h" \
        > "$lib/LoginWorld/module.modulemap"
    includes="-I $lib -I $OUT/modules/CCrypto -I $lib/CPAM -I $lib/CQRLoader -I $lib/CDetachedRun -I $lib/LoginWorld"
    glibc=""
    if [ "$EMBEDDED" -eq 1 ]; then
        # The Glibc stand-in of the Embedded build, as one more module before the others.
        includes="$includes -I $ROOT/packaging/embedded/Glibc"
        # shellcheck disable=SC2086
        "$SWIFTC" $SWIFT_MODE -sanitize=fuzzer,address -parse-as-library -O -g -static -emit-library -emit-module \
            -module-name Glibc $includes "$ROOT/packaging/embedded/Glibc/Glibc.swift" \
            -emit-module-path "$lib/Glibc.swiftmodule" -o "$lib/libGlibc.a" || return 1
        glibc="$lib/libGlibc.a"
    fi
    for target in TwoFactorCore TwoFactorStore PAMSwift2FA; do
        # shellcheck disable=SC2086
        "$SWIFTC" $SWIFT_MODE -sanitize=fuzzer,address -parse-as-library -O -g -static -emit-library -emit-module \
            -module-name "$target" $includes "$ROOT/Sources/$target/"*.swift \
            -emit-module-path "$lib/$target.swiftmodule" -o "$lib/lib$target.a" || return 1
    done
    for source in "$ROOT/Sources/CPAM/pam_wrappers.c" "$ROOT/Sources/CPAM/pam_entry.c" "$HERE/harnesses/login/world.c"; do
        # shellcheck disable=SC2086
        "$CLANG" -c -g -O1 -fsanitize=address,fuzzer-no-link $WORLD_MODE -I"$ROOT/Sources/CPAM/include" \
            -I"$ROOT/Sources/CCrypto/include" \
            "$source" -o "$lib/$(basename "$source" .c).o" || return 1
    done
    wraps=""
    for symbol in $LOGIN_WRAPS; do wraps="$wraps -Xlinker --wrap=$symbol"; done
    # shellcheck disable=SC2086
    "$SWIFTC" $SWIFT_MODE -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -module-name Fuzz_login $includes \
        "$HERE/harnesses/FuzzSupport.swift" "$HERE/harnesses/login.swift" \
        "$lib/libPAMSwift2FA.a" "$lib/libTwoFactorStore.a" "$lib/libTwoFactorCore.a" $glibc \
        "$lib/pam_wrappers.o" "$lib/pam_entry.o" "$lib/world.o" "$OUT/crypto.o" $EMBEDDED_LINK -lnettle $wraps -o "$OUT/login"
}

build() {
    name=$1
    if [ "$name" = login ]; then
        echo "== building login (the module, TwoFactorStore and TwoFactorCore as instrumented libraries)"
        # In OUT: whole-module builds with -g leave the module's files in the working directory.
        if ! (cd "$OUT" && build_login) >"$OUT/build-login.log" 2>&1; then
            cat "$OUT/build-login.log"
            echo "FAIL: cannot build login"
            exit 1
        fi
        return
    fi
    extra=""
    [ "$name" = ga_import ] && extra="$GA_SOURCE"
    echo "== building $name"
    # shellcheck disable=SC2086
    if ! (cd "$OUT" && "$SWIFTC" $SWIFT_MODE -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
        -module-name Fuzz_$name \
        -I "$OUT/modules/CCrypto" \
        "$ROOT"/Sources/TwoFactorCore/*.swift $extra \
        "$HERE/harnesses/FuzzSupport.swift" "$HERE/harnesses/$name.swift" \
        "$OUT/crypto.o" $EMBEDDED_LINK -lnettle -o "$OUT/$name") >"$OUT/build-$name.log" 2>&1; then
        cat "$OUT/build-$name.log"
        echo "FAIL: cannot build $name"
        exit 1
    fi
}

: > "$SUMMARY"
status=0
for name in $HARNESSES; do
    build "$name"
done
for name in $HARNESSES; do
    work="$OUT/corpus/$name"
    artifacts="$OUT/artifacts/$name"
    mkdir -p "$work" "$artifacts"
    if [ -d "$HERE/regressions/$name" ] && [ -n "$(ls -A "$HERE/regressions/$name")" ]; then
        echo "== replaying regressions of $name"
        if ! "$OUT/$name" -runs=0 "$HERE/regressions/$name"/* >"$OUT/$name.regressions.log" 2>&1; then
            echo "FAIL: $name crashes on a saved regression input (see $OUT/$name.regressions.log)"
            status=1
            continue
        fi
    fi
    echo "== fuzzing $name for ${SECONDS_EACH}s"
    log="$OUT/$name.log"
    set +e
    runs_flag=""
    [ -n "${FUZZ_RUNS:-}" ] && runs_flag="-runs=$FUZZ_RUNS"
    # shellcheck disable=SC2086
    "$OUT/$name" $runs_flag -max_total_time="$SECONDS_EACH" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" "$HERE/corpus/$name" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    speed=$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}' | tail -1)
    cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $name exited $rc; input in $artifacts/, log $log"
        grep -a -m1 -A30 'ERROR\|FUZZ PROPERTY\|Fatal error' "$log" || tail -40 "$log"
        status=1
        line="$name FAIL runs=${runs:-?}"
    else
        line="$name ok runs=${runs:-?} exec/s=${speed:-?} cov=${cov:-?}"
    fi
    echo "$line"
    echo "$line" >> "$SUMMARY"
done
echo "== summary ($SUMMARY)"
cat "$SUMMARY"
exit $status
