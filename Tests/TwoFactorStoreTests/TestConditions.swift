import Glibc
import Testing

/// What a suite of this target needs from the machine, as a Swift Testing condition: when
/// it is missing, `swift test` skips the suite and shows the reason. (test.sh runs as root
/// with every package installed, and fails when anything is skipped there.)
extension Trait where Self == ConditionTrait {
    /// Root, for `why`: files owned by root or by other users.
    static func requiresRoot(_ why: String) -> Self {
        .enabled(if: geteuid() == 0, Comment(rawValue: "needs root: \(why)"))
    }
}
