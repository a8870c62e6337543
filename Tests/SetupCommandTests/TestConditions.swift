import Foundation
import Testing

/// What a suite of this target needs from the machine, as Swift Testing conditions: when one
/// is missing, `swift test` skips the suite and shows the reason. (test.sh runs as root with
/// every package installed, and fails when anything is skipped there.)
extension Trait where Self == ConditionTrait {
    /// Root, for `why`: the command acts for `--user root` or other users, or the test hands
    /// files to other users or runs the command as them.
    static func requiresRoot(_ why: String) -> Self {
        .enabled(if: geteuid() == 0, Comment(rawValue: "needs root: \(why)"))
    }

    /// An installed program, named with the Debian package that brings it.
    static func requires(_ program: String, package: String) -> Self {
        .enabled(if: FileManager.default.isExecutableFile(atPath: program),
                 Comment(rawValue: "needs \(program) (Debian package \(package))"))
    }

    /// oathtool, the independent implementation that computes the codes typed into the command.
    static var requiresOathtool: Self { requires("/usr/bin/oathtool", package: "oathtool") }
}
