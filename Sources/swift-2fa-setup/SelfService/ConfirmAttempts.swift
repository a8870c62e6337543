import Glibc
import TwoFactorStore

/// Wrong codes given to `confirm` through the self-service socket, per uid. A pending
/// credential's code is not checked by the login throttle (it is not enrolled yet), and the
/// socket must not let a local account guess one that an admin started: after `limit` wrong
/// codes within `period` seconds, `confirm` is refused unchecked until the period ends. A
/// right code clears the count. Kept beside the session tokens (root-only).
struct ConfirmAttempts {
    let directory: String
    static let limit = 5
    /// As long as a pending enrollment lives.
    static let period: Int64 = 600

    /// The Unix time until which `uid` is refused, nil when they may try.
    func blockedUntil(uid: uid_t, now: Int64) -> Int64? {
        let (start, count) = read(uid)
        guard count >= Self.limit, now < start + Self.period else { return nil }
        return start + Self.period
    }

    /// Records the outcome of one `confirm` of `uid`.
    func record(uid: uid_t, accepted: Bool, now: Int64) {
        if accepted {
            try? AtomicFile.remove(path(uid))
            return
        }
        var (start, count) = read(uid)
        if now >= start + Self.period { (start, count) = (now, 0) }
        try? AtomicFile.write("\(start) \(count + 1)\n", to: path(uid), mode: 0o600)
    }

    private func path(_ uid: uid_t) -> String { "\(directory)/\(uid).confirm" }

    /// The period's start and the wrong codes in it; (0, 0) when none are recorded.
    private func read(_ uid: uid_t) -> (start: Int64, count: Int) {
        let requirements = SafeFile.Requirements(allowedOwners: [0], maximumSize: 64)
        guard let text = try? SafeFile.read(path(uid), what: "confirm attempts", requirements: requirements) else { return (0, 0) }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let start = Int64(fields[0]), let count = Int(fields[1]) else { return (0, 0) }
        return (start, count)
    }
}
