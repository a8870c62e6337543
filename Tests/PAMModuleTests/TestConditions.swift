import Foundation
import Testing

/// What a suite of this target needs from the machine, as Swift Testing conditions: when one
/// is missing, `swift test` skips the suite and shows the reason. (test.sh runs as root with
/// every package installed, and fails when anything is skipped there.)
extension Trait where Self == ConditionTrait {
    /// Root, for `why`: the test hands files to other users, fakes users through nss_wrapper
    /// in a private mount namespace, or starts servers.
    static func requiresRoot(_ why: String) -> Self {
        .enabled(if: geteuid() == 0, Comment(rawValue: "needs root: \(why)"))
    }

    /// pam_wrapper (libpam_wrapper.so and its pam_set_items.so), through which the driver
    /// loads the module with a private service directory instead of the host's /etc/pam.d.
    static var requiresPAMWrapper: Self {
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so")
                     && FileManager.default.fileExists(atPath: PAMHarness.wrapperModules),
                 "needs pam_wrapper (Debian package libpam-wrapper)")
    }

    /// The module and the libpamtest driver, built by `swift build --build-tests` next to the tests.
    static var requiresBuiltModule: Self {
        .enabled(if: FileManager.default.fileExists(atPath: PAMHarness.modulePath)
                     && FileManager.default.isExecutableFile(atPath: PAMHarness.driverPath),
                 "needs the built module and pamtest-driver (swift build --build-tests; libpamtest0-dev)")
    }
}
