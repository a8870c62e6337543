#!/bin/sh
# swift-2fa benchmarks: pam_swift2fa against pam_google_authenticator and pam_oath,
# through real libpam under pam_wrapper (and nss_wrapper for the benchmark users).
#
#   Benchmarks/run.sh            # full run, 5-10 minutes; needs root and apt
#   BENCH_QUICK=1 Benchmarks/run.sh   # smaller counts, for a smoke test
#   BENCH_ONLY=cold,warm_1 Benchmarks/run.sh   # some phases only
#     (phases: hmac callgrind cold cold_libcrypto warm_1 warm_2 scaling fleet)
#   BENCH_ONLY=fleet Benchmarks/run.sh   # fleet mode only (Benchmarks/fleet.py, a throwaway PostgreSQL)
#   Benchmarks/run.sh --module-runtime=full   # the full-Swift build of the module (default:
#                                             # install.sh's, the Embedded Swift one)
#
# Prints a table (each figure also as a ratio to google-authenticator) and writes
# Benchmarks/results/latest.json. Work files go to $BENCH_DIR (default
# /var/tmp/swift-2fa-bench, on the same file system as /var/lib). Not part of `swift test`.
set -eu
INSTALL_ARGS=""
case ${1:-} in
    --module-runtime=embedded | --module-runtime=full) INSTALL_ARGS=$1 ;;
    "") ;;
    *) echo "Benchmarks/run.sh: unknown argument '$1' (--module-runtime=embedded|full)" >&2; exit 64 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN="$HERE/results/bin"
mkdir -p "$BIN"

if [ "${BENCH_SKIP_APT:-0}" != 1 ]; then
    need=""
    for p in libpam-google-authenticator libpam-oath libpam-wrapper libpamtest0-dev libnss-wrapper \
             libpam0g-dev nettle-dev libssl-dev oathtool valgrind python3 postgresql postgresql-contrib pgbouncer; do
        dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
    done
    if [ -n "$need" ]; then
        echo "== apt-get install$need"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
    fi
fi

SWIFTC=$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)
CLANG=$(dirname "$SWIFTC")/clang
[ -x "$CLANG" ] || CLANG=cc
CC=${CC:-cc}

# The module as install.sh installs it (stripped, and without the unused libstdc++.so.6
# dependency), staged under $BENCH_DIR/stage. install.sh also builds swift-2fa-setup
# (static stdlib), which takes a few minutes the first time.
BENCH_DIR=${BENCH_DIR:-/var/tmp/swift-2fa-bench}
export BENCH_DIR
STAGE="$BENCH_DIR/stage"
echo "== install.sh --destdir $STAGE --build-dir .build-bench --no-deps $INSTALL_ARGS"
rm -rf "$STAGE"
mkdir -p "$BENCH_DIR"
# shellcheck disable=SC2086
(cd "$ROOT" && ./install.sh --destdir "$STAGE" --build-dir .build-bench --no-deps $INSTALL_ARGS)
BENCH_MODULE=$(find "$STAGE" -name pam_swift2fa.so -type f | head -1)
[ -n "$BENCH_MODULE" ] || { echo "pam_swift2fa.so not found under $STAGE" >&2; exit 1; }
export BENCH_MODULE
echo "   module: $BENCH_MODULE"

echo "== building the benchmark clients"
$CC -O2 -Wall -o "$BIN/bench-login" "$HERE/login.c" -lpam
# The same login with libcrypto loaded and initialised before pam_start, as in sshd.
$CC -O2 -Wall -Wno-deprecated-declarations -DWITH_LIBCRYPTO -o "$BIN/bench-login-libcrypto" "$HERE/login.c" -lpam -lcrypto
$CC -O2 -Wall -Wno-deprecated-declarations -o "$BIN/bench-client" "$HERE/client.c" -lpam -lcrypto -lpthread -ldl
$CC -O2 -Wall -o "$BIN/hmac-raw" "$HERE/hmac_raw.c" -lnettle -lcrypto

# The core micro-benchmark: the TwoFactorCore sources and the CCrypto shim, compiled
# like the release module (-O, C at -O2), without SwiftPM.
mkdir -p "$BIN/modules/CCrypto"
cat > "$BIN/modules/CCrypto/module.modulemap" <<MAP
module CCrypto {
    header "$ROOT/Sources/CCrypto/include/ccrypto.h"
    link "nettle"
    export *
}
MAP
"$CLANG" -O2 -c -I"$ROOT/Sources/CCrypto/include" "$ROOT/Sources/CCrypto/crypto.c" -o "$BIN/crypto.o"
"$SWIFTC" -O -parse-as-library -module-name HMACCore -I "$BIN/modules/CCrypto" \
    "$ROOT"/Sources/TwoFactorCore/*.swift "$HERE/hmac_core.swift" "$BIN/crypto.o" -lnettle -o "$BIN/hmac-core"

# bench.py runs every phase but fleet (or those BENCH_ONLY names); fleet.py the fleet mode.
if [ "${BENCH_ONLY:-}" != fleet ]; then
    python3 "$HERE/bench.py"
fi
case ",${BENCH_ONLY:-fleet}," in
    *,fleet,*) python3 "$HERE/fleet.py" ;;
esac
