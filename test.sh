#!/usr/bin/env bash
# Runs every test of swift-2fa, as root, on Debian or Ubuntu:
#   1. unit and integration tests (swift test): the OTP core, the store, the built
#      pam_swift2fa.so through real libpam under pam_wrapper, and swift-2fa-setup;
#   2. end-to-end logins through real sshd, sudo and cockpit-ws (Tests/e2e/run.sh),
#      each in a private mount namespace so the host's /etc/pam.d is never touched;
#   3. the fleet store against a throwaway PostgreSQL (Tests/fleet/run.sh; the FleetTests
#      suite of step 1 starts its own servers too);
#   4. a short run of every fuzz harness (Fuzz/run.sh).
# It installs the Debian packages the tests need first. Usage: sudo ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: run as root: the tests create users and start sshd, sudo and cockpit-ws" >&2
    exit 1
fi
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "test.sh: no Swift toolchain found (swift not on PATH, nothing in /opt/swift)" >&2; exit 1; }

# Build libraries, test tools, and the programs the end-to-end tests talk to.
packages=(
    libpam0g-dev nettle-dev libqrencode-dev libssl-dev  # libssl-dev: the leak test's client (Benchmarks/client.c)
    libpam-wrapper libpamtest0-dev libnss-wrapper pamtester oathtool
    libpam-google-authenticator zbar-tools librsvg2-bin expect python3-pexpect
    openssh-server openssh-client sudo cockpit-ws cockpit-bridge curl util-linux passwd perl-base
    cockpit-system chromium chromium-driver python3-selenium
    clang libclang-rt-14-dev
    postgresql postgresql-contrib libpq-dev
    dpkg-dev lintian  # the .deb test (Tests/e2e/deb.sh)
    strace binutils  # the hostile-environment test (Tests/e2e/environment.sh)
)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pam_wrapper hands out shared one-character slots (/tmp/pam.0 ... /tmp/pam.z); a client killed mid-run
# leaves its slot behind with an empty pid file that pam_wrapper cannot clean, and once they
# are all stale every wrapped login fails. No test runs yet, so none is in use.
rm -rf /tmp/pam.?

echo "== swift test (unit and integration)"
swift build --build-tests
log=$(mktemp /tmp/swift-2fa-test.XXXXXX)
trap 'rm -f "$log"' EXIT
swift_status=0
swift test >"$log" 2>&1 || swift_status=$?
# Passing tests are one line each; show failures, their details and the summaries.
grep -E '^(✘|↳)|Test run with|Executed [0-9]+ tests?' "$log" | grep -vE '↳ (Testing Library|Target Platform)' || true
[ "$swift_status" -eq 0 ] || { echo "test.sh: swift test failed (exit $swift_status)" >&2; exit 1; }
swift_passed=$(sed -n 's/.*Test run with \([0-9]*\) tests\{0,1\} in .* passed.*/\1/p' "$log" | tail -n 1)

echo "== end-to-end: sshd, sudo, cockpit-ws, enrollment at login"
Tests/e2e/run.sh | tee "$log"
e2e_passed=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$log" | tail -n 1)

echo "== fleet store: PostgreSQL"
Tests/fleet/run.sh | tee "$log"
fleet_passed=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$log" | tail -n 1)

echo "== fuzzing (short run)"
Fuzz/run.sh 20 | tee "$log"
fuzz_passed=$({ grep -oE '^[a-z_]+ ok runs=' "$log" || true; } | sort -u | wc -l)

# One closing line for everything: unit and integration tests, end-to-end checks, fleet-store
# checks, fuzz harnesses.
echo "$((${swift_passed:-0} + ${e2e_passed:-0} + ${fleet_passed:-0} + ${fuzz_passed:-0})) passed, 0 failed"
