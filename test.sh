#!/usr/bin/env bash
# Runs the tests of swift-2fa on Debian or Ubuntu, all of them or some tiers.
#
#   ./test.sh [--no-install] [TIER...]      (no TIER: every tier, the full run CI makes)
#
# Tiers:
#   unit     TwoFactorCore and TwoFactorStore tests (swift test): the OTP core, file formats,
#            policy, safe files, locks. Any user; as root it also runs the few store tests
#            that need files owned by other users.
#   module   the built pam_swift2fa.so through real libpam under pam_wrapper (PAMModuleTests),
#            fleet logins against a throwaway PostgreSQL included.
#   command  the built swift-2fa-setup (SetupCommandTests): enrollment, management, import,
#            pam editing and its pamtester try, ssh check|enable|disable against the real
#            sshd -T and -t, the fleet subcommands.
#   e2e      real sshd, sudo and cockpit-ws logins, install.sh and the .deb (Tests/e2e/run.sh),
#            each in a private mount namespace, with the module install.sh installs by default
#            (the Embedded Swift build; Tests/e2e/run.sh --module-runtime=full for the other).
#   fleet    the fleet store against a throwaway PostgreSQL (FleetTests, Tests/fleet/run.sh).
#   fuzz     a short run (20 s) of every fuzz harness (Fuzz/run.sh), then of every harness
#            built in Embedded Swift as the installed module is (Fuzz/run.sh --embedded). Any user.
#
#   embedded the module tier against the Embedded Swift build of the module
#            (packaging/embedded/build.sh, into .build/embedded; docs/embedded.md). The
#            full run runs it after the other swift suites; asked for alone, not together
#            with module: the two run the same suites against different builds.
#
# Root: module, embedded, command, e2e and fleet need it (the tests chown files to other
# users, run commands as them, create users, start sshd, sudo, cockpit-ws and PostgreSQL),
# and so does the full run. When one of them is asked for and you are not root, test.sh runs
# itself again through sudo. unit and fuzz run as you.
#
# Packages: test.sh installs the Debian packages the chosen tiers need (as root), or, not
# root, names the missing ones and stops. --no-install skips that step. Tests never touch the
# host's PAM or sshd configuration. The closing line is "N passed, 0 failed".
set -euo pipefail
cd "$(dirname "$0")"

# The comment above, then the packages of each tier.
usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    echo
    echo "Packages (every tier but fuzz also needs ${build_packages[*]} to build):"
    local tier list
    for tier in "${all_tiers[@]}"; do
        list="${tier}_packages[@]"
        echo "  $tier: ${!list}"
    done
}

# What every tier that runs swift test needs to build the package (pamtest-driver links libpamtest).
build_packages=(libpam0g-dev nettle-dev libqrencode-dev libpamtest0-dev)
unit_packages=(oathtool util-linux python3-pskc)  # python3-pskc: PSKCFileTests regenerates its fixtures
module_packages=(
    libpam-wrapper libnss-wrapper oathtool zbar-tools util-linux passwd
    clang libssl-dev  # the leak test's client (Benchmarks/client.c)
    postgresql postgresql-contrib libpq-dev pgbouncer  # FleetLoginTests, FleetPoolerTests
    strace  # FleetPoolerTests counts the login process's connections; SyncCountTests its fsync and fdatasync calls
)
command_packages=(
    oathtool pamtester libpam-google-authenticator zbar-tools librsvg2-bin expect util-linux
    postgresql postgresql-contrib libpq-dev pgbouncer  # FleetCommandTests, PoolerCommandTests
    openssh-server openssh-client  # SshCommandTests: sshd -T and -t, ssh-keygen
)
e2e_packages=(
    libpam-wrapper libnss-wrapper pamtester oathtool libpam-google-authenticator zbar-tools
    librsvg2-bin expect python3-pexpect
    openssh-server openssh-client sudo cockpit-ws cockpit-bridge curl util-linux passwd perl-base
    cockpit-system chromium chromium-driver python3-selenium
    postgresql postgresql-contrib libpq-dev pgbouncer  # fleet_ssh.sh
    gettext  # msgfmt for fleet_su_env.sh
    strace binutils  # the hostile-environment test (Tests/e2e/environment.sh)
    dpkg-dev lintian  # the .deb test (Tests/e2e/deb.sh)
    patchelf  # install.sh tidies the module's dynamic section (Tests/e2e/run.sh checks it)
)
embedded_packages=("${module_packages[@]}")
fleet_packages=(postgresql postgresql-contrib libpq-dev pgbouncer oathtool util-linux)
fuzz_packages=(nettle-dev clang libclang-rt-14-dev)

all_tiers=(unit module command e2e fleet fuzz)
install=1
tiers=()
for argument in "$@"; do
    case $argument in
        unit | module | command | e2e | fleet | fuzz | embedded) tiers+=("$argument") ;;
        --no-install) install=0 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "test.sh: unknown argument '$argument' (see ./test.sh --help)" >&2; exit 64 ;;
    esac
done
full_run=0
((${#tiers[@]})) || { tiers=("${all_tiers[@]}"); full_run=1; }
wants() { [[ " ${tiers[*]} " == *" $1 "* ]]; }
if wants module && wants embedded; then
    echo "test.sh: module and embedded run the same suites against two builds of the module; ask for one at a time" >&2
    exit 64
fi

# The tiers that create users, chown files and start servers need root.
needs_root=0
for tier in module command e2e fleet embedded; do wants "$tier" && needs_root=1; done
if [ "$needs_root" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        echo "test.sh: not root: running it again through sudo" >&2
        exec sudo -- "$PWD/test.sh" "$@"
    fi
    echo "test.sh: error: this needs root (the tests create users and start sshd, sudo and cockpit-ws)," >&2
    echo "  and sudo is not installed. Run it from a root shell (su -, then cd $PWD && ./test.sh)," >&2
    echo "  or install sudo. (./test.sh unit and ./test.sh fuzz run as any user.)" >&2
    exit 1
fi
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "test.sh: no Swift toolchain found (swift not on PATH, nothing in /opt/swift)" >&2; exit 1; }

# The Debian packages of the chosen tiers.
if [ "$install" -eq 1 ]; then
    packages=()
    for tier in "${tiers[@]}"; do
        [ "$tier" = fuzz ] || packages+=("${build_packages[@]}")  # e2e builds through install.sh
        list="${tier}_packages[@]"
        packages+=("${!list}")
    done
    missing=()
    for package in $(printf '%s\n' "${packages[@]}" | sort -u); do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "test.sh: missing packages: ${missing[*]}" >&2
            echo "  install them (sudo apt-get install ${missing[*]}), or run with --no-install" >&2
            exit 1
        fi
        echo "test.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

log=$(mktemp /tmp/swift-2fa-test.XXXXXX)
trap 'rm -f "$log"' EXIT
total=0

# The swift test part of the chosen tiers, in one run (the full run: every suite).
filters=()
wants unit && filters+=("TwoFactorCoreTests" "TwoFactorStoreTests" "PAMStackTests")
wants module && filters+=("PAMModuleTests")
wants embedded && filters+=("PAMModuleTests")
wants command && filters+=("SetupCommandTests")
wants fleet && filters+=("FleetTests")
if [ ${#filters[@]} -gt 0 ]; then
    if { wants module || wants embedded; } && [ "$(id -u)" -eq 0 ]; then
        # pam_wrapper hands out shared one-character slots (/tmp/pam.0 ... /tmp/pam.z); a client
        # killed mid-run leaves its slot behind with an empty pid file that pam_wrapper cannot
        # clean, and once they are all stale every wrapped login fails. No test runs yet, so
        # none is in use.
        rm -rf /tmp/pam.?
    fi
    filter=()  # all four swift tiers: no filter, every suite
    if ! { wants unit && wants module && wants command && wants fleet; }; then
        filter=(--filter "^($(IFS='|'; echo "${filters[*]}"))\.")
    fi
    echo "== swift test (${filters[*]})"
    swift build --build-tests
    if wants embedded; then
        # The tests load the module that S2FA_TEST_MODULE names (PAMHarness.modulePath).
        packaging/embedded/build.sh .build/embedded
        export S2FA_TEST_MODULE="$PWD/.build/embedded/pam_swift2fa.so"
    fi
    swift_status=0
    swift test "${filter[@]}" >"$log" 2>&1 || swift_status=$?
    # Passing tests are one line each; show failures, skips, their details and the summaries.
    grep -E '^(✘|↳|➜)|Test run with|Executed [0-9]+ tests?' "$log" | grep -vE '↳ (Testing Library|Target Platform)' || true
    [ "$swift_status" -eq 0 ] || { echo "test.sh: swift test failed (exit $swift_status)" >&2; exit 1; }
    # A suite skips itself, with its reason, only when the machine lacks what it needs (root, a
    # package, PostgreSQL): as root, with the packages above, nothing may be skipped.
    if [ "$(id -u)" -eq 0 ] && grep -qE '^➜ .* skipped' "$log"; then
        echo "test.sh: tests were skipped although test.sh runs as root (a package missing?); see above" >&2
        exit 1
    fi
    swift_tests=$(sed -n 's/.*Test run with \([0-9]*\) tests\{0,1\} in .* passed.*/\1/p' "$log" | tail -n 1)
    # The run's count includes the tests it skipped (not root, a package missing: see above).
    swift_skipped=$(grep -c '^➜ Test .* skipped' "$log" || true)
    [ "$swift_skipped" -eq 0 ] || echo "test.sh: $swift_skipped tests skipped, each with its reason above"
    total=$((total + ${swift_tests:-0} - swift_skipped))
fi

# The full run also runs the module's suites against the Embedded Swift build of the
# module (the embedded tier), so a change the Embedded compiler refuses fails CI.
if [ "$full_run" -eq 1 ]; then
    echo "== swift test (PAMModuleTests against the Embedded Swift module)"
    rm -rf /tmp/pam.?
    packaging/embedded/build.sh .build/embedded
    embedded_status=0
    S2FA_TEST_MODULE="$PWD/.build/embedded/pam_swift2fa.so" swift test --skip-build --filter '^PAMModuleTests\.' \
        >"$log" 2>&1 || embedded_status=$?
    grep -E '^(✘|↳|➜)|Test run with' "$log" | grep -vE '↳ (Testing Library|Target Platform)' || true
    [ "$embedded_status" -eq 0 ] || { echo "test.sh: the module tests against the Embedded build failed" >&2; exit 1; }
    embedded_tests=$(sed -n 's/.*Test run with \([0-9]*\) tests\{0,1\} in .* passed.*/\1/p' "$log" | tail -n 1)
    total=$((total + ${embedded_tests:-0}))
fi

# The scripts end with "N passed, 0 failed".
script_passed() { sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$log" | tail -n 1; }

if wants e2e; then
    echo "== end-to-end: sshd, sudo, cockpit-ws, enrollment at login"
    Tests/e2e/run.sh | tee "$log"
    e2e_passed=$(script_passed)
    total=$((total + ${e2e_passed:-0}))
fi

if wants fleet; then
    echo "== fleet store: PostgreSQL"
    Tests/fleet/run.sh | tee "$log"
    fleet_passed=$(script_passed)
    total=$((total + ${fleet_passed:-0}))
fi

if wants fuzz; then
    echo "== fuzzing (short run)"
    # fuzz_run ARGS...: one Fuzz/run.sh; each harness that passed counts once.
    fuzz_run() {
        Fuzz/run.sh "$@" | tee "$log"
        total=$((total + $({ grep -oE '^[a-z_]+ ok runs=' "$log" || true; } | sort -u | wc -l)))
    }
    fuzz_run 20
    fuzz_run --embedded 20
fi

# One closing line for everything run: tests of swift test, end-to-end checks, fleet-store
# checks, fuzz harnesses.
echo "$total passed, 0 failed"
