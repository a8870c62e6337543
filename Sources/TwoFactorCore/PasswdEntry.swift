/// The parts of a user's passwd entry swift-2fa needs. `name` is the canonical account
/// name as the name service spells it: locks, state, secrets and log lines are keyed by it,
/// never by the spelling PAM was given (a case-insensitive directory answers for `ALICE`
/// with `alice`).
public struct PasswdEntry: Equatable, Sendable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32
    public let home: String

    public init(name: String, uid: UInt32, gid: UInt32, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }
}
