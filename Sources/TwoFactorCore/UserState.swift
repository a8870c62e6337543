/// The mutable per-user state a login reads and updates under the user's lock.
///
/// It lives in the root-owned store, never in the secret file. Format (version 1):
///
///     version 1
///     last_step 58839821
///     failures 0
///     throttled_until 0
///     locked 0
///     backup_failures 0
///     enrollment <SecretRecord.fingerprint of the enrollment the steps and backup codes belong to>
///     last_accepted <Unix time of the last accepted login>
///     used_backup <salt hex of a used backup code>
///     grace <service, hex> <place, hex> <Unix time of the accepted code>
///
/// `backup_failures` is optional (0 when absent, and written only when not 0), and so is
/// `last_accepted` (written only when set), so files written before them are read unchanged.
///
/// Every state the module can hold, it can write and read back: `serialized()` clamps each
/// number into the range `parse` accepts (`failuresRange`, `throttledUntilRange`), so a clock
/// far in the future or past cannot produce a file that every later login refuses.
public struct UserState: Equatable, Sendable {
    /// The highest TOTP time step accepted so far; codes at or below it are replays.
    public var lastStep: UInt64 = 0
    /// Consecutive failed attempts since the last success.
    public var failures: Int = 0
    /// Unix time until which code attempts are refused unchecked (backup codes are still
    /// checked, within `backupFailures`' budget; see `ThrottlePolicy`).
    public var throttledUntil: Int64 = 0
    /// Wrong backup-shaped answers during the current back-off period. They do not count
    /// toward `failures` or the lock; once `ThrottlePolicy.throttleAfter` is reached, further
    /// backup-shaped answers are refused unchecked until the period ends.
    public var backupFailures: Int = 0
    /// Set after too many consecutive failures; only an admin unlock clears it.
    public var locked: Bool = false
    /// Salts (hex) of backup codes already used.
    public var usedBackupSalts: [String] = []
    /// The fingerprint of the enrollment `lastStep` and `usedBackupSalts` refer to.
    public var enrollment: String?
    /// When a login was last accepted with the second factor (Unix time), set by the store
    /// after the policy's decision (never by `VerificationPolicy`); nil when unknown.
    public var lastAccepted: Int64?
    /// The graces of `grace_period=` (`GracePeriod`), oldest first, set by the store after an
    /// accepted code (never by `VerificationPolicy`), cleared by unlock and by a new enrollment.
    public var graces: [GraceRecord] = []

    public static let currentVersion = 1
    static let kind = "state file"
    static let maximumFailures = 1_000_000
    /// The failure counts (`failures`, `backup_failures`) a state file holds.
    public static let failuresRange: ClosedRange<Int> = 0...maximumFailures
    /// The `throttled_until` times a state file holds: any Unix time from 1970 on. A time
    /// before 1970 (a clock set before 1970) is written as 0.
    public static let throttledUntilRange: ClosedRange<Int64> = 0...Int64.max

    /// The state of a user who never logged in.
    public init() {}

    public init(lastStep: UInt64, failures: Int, throttledUntil: Int64, locked: Bool, usedBackupSalts: [String],
                enrollment: String? = nil, backupFailures: Int = 0, lastAccepted: Int64? = nil,
                graces: [GraceRecord] = []) {
        self.lastStep = lastStep
        self.failures = failures
        self.throttledUntil = throttledUntil
        self.locked = locked
        self.usedBackupSalts = usedBackupSalts
        self.enrollment = enrollment
        self.backupFailures = backupFailures
        self.lastAccepted = lastAccepted
        self.graces = graces
    }

    /// The state of a new enrollment whose confirming code was at `lastStep`.
    public static func fresh(for record: SecretRecord, lastStep: UInt64) -> UserState {
        UserState(lastStep: lastStep, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                  enrollment: record.fingerprint)
    }

    /// This state after an admin's unlock: no failures, back-off, lock or grace; the used
    /// time steps and backup codes are kept, so no code becomes usable again.
    public func unlocked() -> UserState {
        var cleared = self
        cleared.failures = 0
        cleared.throttledUntil = 0
        cleared.locked = false
        cleared.backupFailures = 0
        cleared.graces = []
        return cleared
    }

    /// This state as it applies to `record`, marked with its fingerprint. When it was
    /// recorded for another enrollment (a new secret, period or algorithm), the time step
    /// and the used backup codes start over, since they mean nothing for the new secret;
    /// failures, back-off and the lock are kept. A state with no recorded enrollment
    /// (written before fingerprints, or by hand) is taken to belong to `record`.
    public func bound(to record: SecretRecord) -> UserState {
        let fingerprint = record.fingerprint
        var next = self
        if let enrollment, enrollment != fingerprint {
            next.lastStep = 0
            next.usedBackupSalts = []
            next.graces = []
        }
        next.enrollment = fingerprint
        return next
    }

    /// The file text, each number clamped into the range `parse` accepts.
    public func serialized() -> String {
        let failures = Self.clamped(failures, to: Self.failuresRange)
        let throttledUntil = Self.clamped(throttledUntil, to: Self.throttledUntilRange)
        let backupFailures = Self.clamped(backupFailures, to: Self.failuresRange)
        // Appended line by line: `[String].joined(separator:)` is an unspecialized generic
        // in the static stdlib whose first call resolves associated types at run time
        // (80,000 instructions in every new login process, measured with callgrind).
        var text = "version \(Self.currentVersion)\nlast_step \(lastStep)\nfailures \(failures)\n"
            + "throttled_until \(throttledUntil)\nlocked \(locked ? 1 : 0)\n"
        if backupFailures != 0 { text += "backup_failures \(backupFailures)\n" }
        if let enrollment { text += "enrollment \(enrollment)\n" }
        if let lastAccepted { text += "last_accepted \(max(lastAccepted, 0))\n" }
        for salt in usedBackupSalts { text += "used_backup \(salt)\n" }
        for grace in graces {
            text += "grace \(Hex.encode(Array(grace.service.utf8))) \(Hex.encode(Array(grace.key.utf8))) \(max(grace.time, 0))\n"
        }
        return text
    }

    /// Parses the file text; a failure says what is wrong.
    public static func parse(_ text: String) throws(FileFormatError) -> UserState {
        let lines = try KeyValueLines.parse(text, kind: kind)
        guard lines.version == currentVersion else { throw FileFormatError("\(kind) has an unsupported version") }
        try lines.requireKnownKeys(
            ["version", "last_step", "failures", "throttled_until", "locked", "backup_failures", "enrollment",
             "used_backup", "last_accepted", "grace"], kind: kind, quoteKey: true)
        let lastStepText = try lines.single("last_step", kind: kind)
        guard lastStepText.count <= 20, let lastStep = UInt64(lastStepText) else {
            throw FileFormatError("\(kind) has an invalid last_step value")
        }
        let failures = try lines.integer("failures", in: Self.int64Range(failuresRange), kind: kind)
        let throttledUntil = try lines.integer("throttled_until", in: throttledUntilRange, kind: kind)
        let locked = try lines.integer("locked", in: 0...1, kind: kind)
        var backupFailures: Int64 = 0
        if !lines.values("backup_failures").isEmpty {
            backupFailures = try lines.integer("backup_failures", in: Self.int64Range(failuresRange), kind: kind)
        }
        var enrollment: String?
        if !lines.values("enrollment").isEmpty {
            let value = try lines.single("enrollment", kind: kind)
            guard value.count == 16, Hex.decode(value) != nil else {
                throw FileFormatError("\(kind) has an invalid enrollment value")
            }
            enrollment = value.lowercased()
        }
        var lastAccepted: Int64?
        if !lines.values("last_accepted").isEmpty {
            lastAccepted = try lines.integer("last_accepted", in: 0...Int64.max, kind: kind)
        }
        var salts: [String] = []
        for salt in lines.values("used_backup") {
            guard salt.count == 2 * BackupCodeHash.saltLength, Hex.decode(salt) != nil else {
                throw FileFormatError("\(kind) has a malformed used_backup line")
            }
            salts.append(String(salt).lowercased())
        }
        var graces: [GraceRecord] = []
        for line in lines.values("grace") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard graces.count < GracePeriod.maximumRecords, parts.count == 3,
                  parts[0].utf8.count <= 2 * GracePeriod.maximumServiceBytes,
                  !parts[1].isEmpty, parts[1].utf8.count <= 2 * GracePeriod.maximumKeyBytes, parts[2].utf8.count <= 19,
                  let service = Hex.decode(parts[0]), let key = Hex.decode(parts[1]),
                  let time = Int64(parts[2]), time >= 0 else {
                throw FileFormatError("\(kind) has a malformed grace line")
            }
            graces.append(GraceRecord(service: String(decoding: service, as: UTF8.self),
                                      key: String(decoding: key, as: UTF8.self), time: time))
        }
        return UserState(lastStep: lastStep, failures: Int(failures), throttledUntil: throttledUntil,
                         locked: locked == 1, usedBackupSalts: salts, enrollment: enrollment,
                         backupFailures: Int(backupFailures), lastAccepted: lastAccepted, graces: graces)
    }

    private static func clamped<Value: Comparable>(_ value: Value, to range: ClosedRange<Value>) -> Value {
        min(max(value, range.lowerBound), range.upperBound)
    }

    private static func int64Range(_ range: ClosedRange<Int>) -> ClosedRange<Int64> {
        Int64(range.lowerBound)...Int64(range.upperBound)
    }
}
