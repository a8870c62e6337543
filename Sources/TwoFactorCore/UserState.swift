/// The mutable per-user state a login reads and updates under the user's lock.
///
/// It lives in the root-owned store, never in the secret file. Format (version 2):
///
///     version 2
///     failures 0
///     throttled_until 0
///     locked 0
///     backup_failures 0
///     last_accepted <Unix time of the last accepted login>
///     used_backup <salt hex of a used backup code>
///     grace <service, hex> <place, hex> <Unix time of the accepted code>
///     credential <Credential.fingerprint, or - for the first credential> <last used step or counter, or -> <Unix time last used, or ->
///     drift <Credential.fingerprint> <steps> <Unix time>
///
/// `backup_failures` is optional (0 when absent, and written only when not 0), and so are
/// `last_accepted` and `drift` (written only when set). Version 1 files (`last_step` and
/// `enrollment`, the fingerprint of the one secret) are read as the state of the credential
/// with that fingerprint (of the first credential, without `enrollment`), and written as
/// version 2 by the next login.
///
/// Every state the module can hold, it can write and read back: `serialized()` clamps each
/// number into the range `parse` accepts (`failuresRange`, `throttledUntilRange`), so a clock
/// far in the future or past cannot produce a file that every later login refuses.
public struct UserState: Equatable, Sendable {
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
    /// The replay state of each credential that was used, by fingerprint.
    public var credentials: [CredentialState] = []
    /// The last rejected code that matched a credential's clock outside the window.
    public var lastDrift: DriftFinding?
    /// When a login was last accepted with the second factor (Unix time), set by the store
    /// after the policy's decision (never by `VerificationPolicy`); nil when unknown.
    public var lastAccepted: Int64?
    /// The graces of `grace_period=` (`GracePeriod`), oldest first, set by the store after an
    /// accepted code (never by `VerificationPolicy`), cleared by unlock and by credential changes.
    public var graces: [GraceRecord] = []

    public static let currentVersion = 2
    static let kind = "state file"
    static let maximumFailures = 1_000_000
    /// Most `credential` lines a state file holds (stale ones go at the next `bound(to:)`).
    static let maximumCredentialStates = 2 * Credential.maximumCount
    /// The failure counts (`failures`, `backup_failures`) a state file holds.
    public static let failuresRange: ClosedRange<Int> = 0...maximumFailures
    /// The `throttled_until` times a state file holds: any Unix time from 1970 on. A time
    /// before 1970 (a clock set before 1970) is written as 0.
    public static let throttledUntilRange: ClosedRange<Int64> = 0...Int64.max

    /// The longest text `serialized()` writes for a state `parse` accepts with at most
    /// `SecretRecord.maximumBackupCodes` used backup codes: every number at its longest (7
    /// digits for a failure count, 19 for a time, 20 for a counter, 3 for drift steps), the most
    /// of each repeated line, and each line's key, spaces and newline (27,205 bytes, 25,024 of
    /// them the grace lines). `StateSlotFileTests` writes such a state and compares.
    public static let maximumSerializedLength = 10 + 9 // version, locked
        + (10 + 7) + (17 + 7) // failures, backup_failures
        + (17 + 19) + (15 + 19) // throttled_until, last_accepted
        + SecretRecord.maximumBackupCodes * (13 + 2 * BackupCodeHash.saltLength)
        + GracePeriod.maximumRecords * (9 + 2 * GracePeriod.maximumServiceBytes + 2 * GracePeriod.maximumKeyBytes + 19)
        + maximumCredentialStates * (14 + 16 + 20 + 19)
        + (9 + 16 + 3 + 19) // drift

    /// The state of a user who never logged in.
    public init() {}

    /// A state from its parts.
    public init(failures: Int, throttledUntil: Int64, locked: Bool, usedBackupSalts: [String],
                credentials: [CredentialState] = [], backupFailures: Int = 0, lastAccepted: Int64? = nil,
                graces: [GraceRecord] = [], lastDrift: DriftFinding? = nil) {
        self.failures = failures
        self.throttledUntil = throttledUntil
        self.locked = locked
        self.usedBackupSalts = usedBackupSalts
        self.credentials = credentials
        self.backupFailures = backupFailures
        self.lastAccepted = lastAccepted
        self.graces = graces
        self.lastDrift = lastDrift
    }

    /// The state of a new enrollment whose credential `credential` accepted its first code at
    /// `counter` (a time step for TOTP), so that code cannot log in again.
    public static func fresh(confirming credential: Credential, at counter: UInt64) -> UserState {
        UserState(failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [],
                  credentials: [CredentialState(fingerprint: credential.fingerprint, lastCounter: counter)])
    }

    /// The replay state of `credential`; an unused one when none is recorded.
    public func state(of credential: Credential) -> CredentialState {
        state(fingerprint: credential.fingerprint)
    }

    /// The replay state of the credential with `fingerprint`; an unused one when none is recorded.
    func state(fingerprint: String) -> CredentialState {
        credentials.first { $0.fingerprint == fingerprint } ?? CredentialState(fingerprint: fingerprint)
    }

    /// This state with `credential`'s replay state replaced by `next`.
    public func updating(_ next: CredentialState) -> UserState {
        var updated = self
        updated.credentials.removeAll { $0.fingerprint == next.fingerprint }
        updated.credentials.append(next)
        return updated
    }

    /// This state after an admin's unlock: no failures, back-off, lock or grace; the used
    /// time steps, counters and backup codes are kept, so no code becomes usable again.
    public func unlocked() -> UserState {
        var cleared = self
        cleared.failures = 0
        cleared.throttledUntil = 0
        cleared.locked = false
        cleared.backupFailures = 0
        cleared.graces = []
        return cleared
    }

    /// This state as it applies to `record`: the replay state of credentials the record no
    /// longer holds (removed, or replaced by a new secret) is dropped, and with it the graces;
    /// failures, back-off, the lock and the used backup codes (their salts are unique; new
    /// backup codes come with a state that forgets the old) are kept. The state of a version 1 file without an enrollment fingerprint is
    /// taken to belong to the record's first credential.
    public func bound(to record: SecretRecord) -> UserState {
        bound(to: record, fingerprints: record.credentials.map { $0.fingerprint })
    }

    /// `bound(to:)` with the fingerprints of the record's credentials computed already.
    func bound(to record: SecretRecord, fingerprints: [String]) -> UserState {
        var next = self
        if let unbound = next.credentials.firstIndex(where: { $0.fingerprint.isEmpty }) {
            if let first = fingerprints.first, !next.credentials.contains(where: { $0.fingerprint == first }) {
                next.credentials[unbound].fingerprint = first
            }
        }
        let before = next.credentials.count
        next.credentials.removeAll { !fingerprints.contains($0.fingerprint) }
        // A credential replaced or removed (outside the command, which clears them itself) ends the graces.
        if next.credentials.count < before { next.graces = [] }
        if let drift = next.lastDrift, !fingerprints.contains(drift.fingerprint) { next.lastDrift = nil }
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
        var text = "version \(Self.currentVersion)\nfailures \(failures)\n"
            + "throttled_until \(throttledUntil)\nlocked \(locked ? 1 : 0)\n"
        if backupFailures != 0 { text += "backup_failures \(backupFailures)\n" }
        if let lastAccepted { text += "last_accepted \(max(lastAccepted, 0))\n" }
        for salt in usedBackupSalts { text += "used_backup \(salt)\n" }
        for grace in graces {
            text += "grace \(Hex.encode(Array(grace.service.utf8))) \(Hex.encode(Array(grace.key.utf8))) \(max(grace.time, 0))\n"
        }
        for credential in credentials.suffix(Self.maximumCredentialStates)
        where credential.fingerprint.isEmpty || CredentialState.isFingerprint(credential.fingerprint) {
            text += "credential \(credential.fingerprint.isEmpty ? "-" : credential.fingerprint) "
                + "\(credential.lastCounter.map { String($0) } ?? "-") "
                + "\(credential.lastUsed.map { String(max($0, 0)) } ?? "-")\n"
        }
        if let lastDrift, CredentialState.isFingerprint(lastDrift.fingerprint), DriftFinding.stepsRange.contains(lastDrift.steps) {
            text += "drift \(lastDrift.fingerprint) \(lastDrift.steps) \(max(lastDrift.time, 0))\n"
        }
        return text
    }

    /// Parses the file text (version 1 or 2); a failure says what is wrong.
    public static func parse(_ text: String) throws(FileFormatError) -> UserState {
        let lines = try KeyValueLines.parse(text, kind: kind)
        guard let version = lines.version, version == 1 || version == currentVersion else {
            throw FileFormatError("\(kind) has an unsupported version")
        }
        let versionKeys: Set<String> = version == 1 ? ["last_step", "enrollment"] : ["credential", "drift"]
        try lines.requireKnownKeys(
            versionKeys.union(["version", "failures", "throttled_until", "locked", "backup_failures", "used_backup",
                               "last_accepted", "grace"]), kind: kind, quoteKey: true)
        let failures = try lines.integer("failures", in: Self.int64Range(failuresRange), kind: kind)
        let throttledUntil = try lines.integer("throttled_until", in: throttledUntilRange, kind: kind)
        let locked = try lines.integer("locked", in: 0...1, kind: kind)
        var backupFailures: Int64 = 0
        if !lines.values("backup_failures").isEmpty {
            backupFailures = try lines.integer("backup_failures", in: Self.int64Range(failuresRange), kind: kind)
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
        let credentials = version == 1 ? try version1Credential(lines) : try credentialStates(lines)
        var lastDrift: DriftFinding?
        if !lines.values("drift").isEmpty {
            let parts = try lines.single("drift", kind: kind).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, CredentialState.isFingerprint(parts[0]), parts[1].utf8.count <= 4, parts[2].utf8.count <= 19,
                  let steps = Int(parts[1]), DriftFinding.stepsRange.contains(steps), let time = Int64(parts[2]), time >= 0 else {
                throw FileFormatError("\(kind) has a malformed drift line")
            }
            lastDrift = DriftFinding(fingerprint: String(parts[0]).lowercased(), steps: steps, time: time)
        }
        return UserState(failures: Int(failures), throttledUntil: throttledUntil, locked: locked == 1,
                         usedBackupSalts: salts, credentials: credentials, backupFailures: Int(backupFailures),
                         lastAccepted: lastAccepted, graces: graces, lastDrift: lastDrift)
    }

    /// The `credential` lines of a version 2 file.
    private static func credentialStates(_ lines: KeyValueLines) throws(FileFormatError) -> [CredentialState] {
        var states: [CredentialState] = []
        for line in lines.values("credential") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard states.count < maximumCredentialStates, parts.count == 3,
                  parts[0] == "-" || CredentialState.isFingerprint(parts[0]), parts[1].utf8.count <= 20, parts[2].utf8.count <= 19 else {
                throw FileFormatError("\(kind) has a malformed credential line")
            }
            // `-`: the state of a version 1 file without a fingerprint, not yet bound to a record.
            let fingerprint = parts[0] == "-" ? "" : String(parts[0]).lowercased()
            var state = CredentialState(fingerprint: fingerprint)
            if parts[1] != "-" {
                guard let counter = UInt64(parts[1]) else { throw FileFormatError("\(kind) has a malformed credential line") }
                state.lastCounter = counter
            }
            if parts[2] != "-" {
                guard let time = Int64(parts[2]), time >= 0 else { throw FileFormatError("\(kind) has a malformed credential line") }
                state.lastUsed = time
            }
            guard !states.contains(where: { $0.fingerprint == fingerprint }) else {
                throw FileFormatError("\(kind) repeats a credential line")
            }
            states.append(state)
        }
        return states
    }

    /// The one secret's `last_step` and `enrollment` of a version 1 file, as a credential's
    /// state (unbound, an empty fingerprint, without `enrollment`).
    private static func version1Credential(_ lines: KeyValueLines) throws(FileFormatError) -> [CredentialState] {
        let lastStepText = try lines.single("last_step", kind: kind)
        guard lastStepText.count <= 20, let lastStep = UInt64(lastStepText) else {
            throw FileFormatError("\(kind) has an invalid last_step value")
        }
        var fingerprint = ""
        if !lines.values("enrollment").isEmpty {
            let value = try lines.single("enrollment", kind: kind)
            guard CredentialState.isFingerprint(value) else { throw FileFormatError("\(kind) has an invalid enrollment value") }
            fingerprint = value.lowercased()
        }
        return [CredentialState(fingerprint: fingerprint, lastCounter: lastStep == 0 ? nil : lastStep)]
    }

    private static func clamped<Value: Comparable>(_ value: Value, to range: ClosedRange<Value>) -> Value {
        min(max(value, range.lowerBound), range.upperBound)
    }

    private static func int64Range(_ range: ClosedRange<Int>) -> ClosedRange<Int64> {
        Int64(range.lowerBound)...Int64(range.upperBound)
    }
}
