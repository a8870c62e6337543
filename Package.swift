// swift-tools-version:6.0
import Foundation
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

/// Absolute path of this package, so linker flags that name files work from any directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

/// DT_RELR relocations (the 15,000 pointer fix-ups of the Swift metadata as a few KB of
/// bitmaps instead of 370 KB of RELA entries read at every load) need glibc 2.36 or later
/// at run time (Debian 12 has 2.36, Ubuntu 22.04 2.35). The module is built on the machine
/// that loads it, so the build machine's glibc decides.
let packRelativeRelocations: [String] = {
    #if canImport(Glibc)
    // confstr(_CS_GNU_LIBC_VERSION) answers "glibc 2.36".
    var buffer = [CChar](repeating: 0, count: 64)
    let length = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)
    let text = length > 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let version = (text.split(separator: " ").last ?? "").split(separator: ".").compactMap { Int($0) }
    if version.count >= 2, (version[0], version[1]) >= (2, 36) {
        return ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
    }
    #endif
    return []
}()

/// For the code that runs inside the module: reach the metadata of concrete generic types
/// (`Result<ModuleOptions, OptionError>`, `Set<String>`, ...) through direct accessor calls
/// instead of mangled names. A mangled name is demangled by the runtime on first use and its
/// generic requirements are checked by scanning every protocol conformance of the static
/// stdlib. Measured with callgrind: 0.4 M fewer instructions in each new login process.
let directMetadataAccess: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"]),
]

/// The symbols the module's link redirects to `__wrap_<name>` in Sources/CPAM/no_environment.c.
/// Tests/e2e/run.sh checks that `nm -D` of the module imports none of them.
let environmentFreeSymbols = ["getenv", "secure_getenv", "environ", "__environ", "gettext", "execvpe", "strerror"]

let package = Package(
    name: "swift-2fa",
    products: [
        // The PAM module. Built as libpam_swift2fa.so, installed as pam_swift2fa.so.
        .library(name: "pam_swift2fa", type: .dynamic, targets: ["PAMSwift2FA"]),
        .executable(name: "swift-2fa-setup", targets: ["swift-2fa-setup"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C shim over libpam: the exported pam_sm_* entry points and non-variadic wrappers.
        .target(
            name: "CPAM",
            linkerSettings: [.linkedLibrary("pam")]
        ),
        // C shim over the system's GNU Nettle (libnettle8, no global set-up, no configuration
        // file): HMAC, constant-time compare, PBKDF2; random bytes from getrandom(2).
        .target(
            name: "CCrypto",
            linkerSettings: [.linkedLibrary("nettle")]
        ),
        // C shim over libpq for the admin command's fleet store: libpq is opened with dlopen on
        // first use only. Never part of the module (see FleetLibPQ).
        .target(name: "CPQ"),
        // libqrencode, opened with dlopen on first use: by the module only when a user enrolls
        // at login, and by swift-2fa-setup for its terminal and SVG QR codes.
        .target(name: "CQRLoader"),
        // Starts the admin's event hook (`notify =`) detached: double fork, clean environment,
        // a time limit. The one place the module starts a program (execve, an absolute path).
        .target(name: "CDetachedRun"),
        // SO_PEERCRED's struct ucred, which needs _GNU_SOURCE: the self-service socket's caller
        // (swift-2fa-setup serve-user).
        .target(name: "CPeerCredentials"),
        // <shadow.h> (getspnam_r), which the Glibc module leaves out: for swift-2fa-setup's report.
        .systemLibrary(name: "CShadow"),
        // Pure Swift, no I/O: base32, HOTP/TOTP, otpauth URIs, backup codes, file formats, policy.
        .target(
            name: "TwoFactorCore",
            dependencies: ["CCrypto"],
            swiftSettings: directMetadataAccess
        ),
        // Files on disk: safe opening, per-user locking, atomic replace; the fleet store and the
        // login process's own PostgreSQL protocol client (to the local pooler). No Foundation,
        // no libpq.
        .target(
            name: "TwoFactorStore",
            dependencies: ["TwoFactorCore", "CQRLoader", "CDetachedRun"],
            swiftSettings: directMetadataAccess
        ),
        // The fleet store through libpq, for swift-2fa-setup (and the tests) only: libpq reads
        // the caller's environment, so the login process must never load it.
        .target(
            name: "FleetLibPQ",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "CPQ"]
        ),
        // The PAM module itself. Static Swift stdlib, only pam_sm_* exported, no Foundation.
        .target(
            name: "PAMSwift2FA",
            dependencies: ["CPAM", "TwoFactorCore", "TwoFactorStore"],
            exclude: ["pam_swift2fa.map"],
            swiftSettings: [.unsafeFlags(["-static-stdlib"])] + directMetadataAccess,
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib",
                    "-use-ld=lld",
                    // The Swift runtime is C++: carry libstdc++ inside the module too, so that a
                    // login process need not load libstdc++.so (install.sh then drops the
                    // NEEDED entry the driver adds; it is never used).
                    "-Xlinker", "--as-needed",
                    "-Xlinker", "--whole-archive", "-Xlinker", "-Bstatic", "-Xlinker", "-lstdc++",
                    "-Xlinker", "-Bdynamic", "-Xlinker", "--no-whole-archive",
                    "-Xlinker", "--gc-sections",
                    // Nothing inside the module reads the environment, starts a program or
                    // follows the caller's locale: these references resolve to the
                    // replacements in Sources/CPAM/no_environment.c.
                ] + environmentFreeSymbols.flatMap { ["-Xlinker", "--wrap=\($0)"] } + [
                    "-Xlinker", "--version-script=\(packageRoot)/Sources/PAMSwift2FA/pam_swift2fa.map",
                    "-Xlinker", "-z", "-Xlinker", "now",
                    "-Xlinker", "-z", "-Xlinker", "relro",
                    // Stay loaded after the first pam_end: the Swift runtime cannot be unloaded
                    // cleanly, and reloading it for every login leaks and costs time.
                    "-Xlinker", "-z", "-Xlinker", "nodelete",
                ] + packRelativeRelocations)
            ]
        ),
        // Pure, no I/O: PAM service files (parsing and the edits of `pam enable|disable`)
        // and the stack rules, decided by simulating libpam's control flow.
        .target(name: "PAMStack"),
        // The enrollment and management command.
        .executableTarget(
            name: "swift-2fa-setup",
            dependencies: [
                "TwoFactorCore", "TwoFactorStore", "FleetLibPQ", "CPQ", "CShadow", "CPeerCredentials", "PAMStack",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The fleet schema (fleet/schema, linked here) that `db init` applies, and the
            // pooler's systemd unit (packaging/systemd, linked here) that `db pooler enable` installs.
            // Every file of fleet/schema is listed (and named in DbSchema.swift); a test checks it.
            resources: [.embedInCode("FleetSchema/migrate.sql"),
                        .embedInCode("FleetSchema/migrations/001-tables.sql"),
                        .embedInCode("FleetSchema/migrations/002-enrollment-right.sql"),
                        .embedInCode("FleetSchema/migrations/003-grace.sql"),
                        .embedInCode("FleetSchema/migrations/004-credentials.sql"),
                        .embedInCode("FleetSchema/migrations/005-self-service.sql"),
                        .embedInCode("FleetSchema/functions.sql"),
                        .embedInCode("PoolerUnit/swift-2fa-pooler.service")]
        ),
        // A small libpamtest client that the integration tests run under pam_wrapper.
        .executableTarget(
            name: "pamtest-driver",
            path: "Tests/PAMTestDriver",
            linkerSettings: [.linkedLibrary("pamtest"), .linkedLibrary("pam")]
        ),
        // Test support shared by the core's tests and the fleet's: the seeded generator and the
        // throttle attacker, so the same simulations drive the Swift policy and the SQL one.
        .target(
            name: "PolicySimulation",
            dependencies: ["TwoFactorCore"],
            path: "Tests/PolicySimulation"
        ),
        // The fixtures every test target shares: the throwaway PostgreSQL (FleetServer), the
        // fake pooler, the built products, the TOTP codes, temporary directories and the
        // program runner.
        .target(
            name: "TestSupport",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "FleetLibPQ"],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "TwoFactorCoreTests",
            dependencies: ["TwoFactorCore", "PolicySimulation", "TestSupport"]
        ),
        .testTarget(
            name: "PAMStackTests",
            dependencies: ["PAMStack"]
        ),
        .testTarget(
            name: "TwoFactorStoreTests",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "TestSupport"]
        ),
        // Drive the built libpam_swift2fa.so through real libpam under pam_wrapper.
        .testTarget(
            name: "PAMModuleTests",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "FleetLibPQ", "TestSupport"]
        ),
        // The fleet store against a real PostgreSQL started by Tests/fleet/pg.sh (needs root).
        .testTarget(
            name: "FleetTests",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "FleetLibPQ", "PolicySimulation", "TestSupport"]
        ),
        // Run the built swift-2fa-setup command (and read what it embeds: SchemaEmbeddingTests).
        .testTarget(
            name: "SetupCommandTests",
            dependencies: ["TwoFactorCore", "TwoFactorStore", "FleetLibPQ", "swift-2fa-setup", "TestSupport"]
        ),
    ]
)
