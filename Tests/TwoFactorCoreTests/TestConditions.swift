import Foundation
import Testing

/// What a suite of this target needs from the machine, as a Swift Testing condition: when
/// it is missing, `swift test` skips the suite and shows the reason. (test.sh runs as root
/// with every package installed, and fails when anything is skipped there.)
extension Trait where Self == ConditionTrait {
    /// An installed program, named with the Debian package that brings it.
    static func requires(_ program: String, package: String) -> Self {
        .enabled(if: FileManager.default.isExecutableFile(atPath: program),
                 Comment(rawValue: "needs \(program) (Debian package \(package))"))
    }
}
