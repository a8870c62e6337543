/// `grace_period=SECONDS` and `grace_key=` (google-authenticator's name for the period):
/// after an accepted code (never a backup code), the same canonical user on the same
/// service, from the same place, is not asked again within the period. Off by default; the
/// module line and the configuration file, both root's, are the only places to set it.
///
/// The place is the key: the client's address (PAM_RHOST), its terminal (PAM_TTY), or both.
/// sudo and su have no PAM_RHOST, so the `rhost` key takes the terminal there. A login with
/// neither gets no grace. Behind NAT, everybody behind one address shares an `rhost` key.
public struct GracePeriod: Equatable, Sendable {
    /// What identifies the place a login comes from.
    public enum Key: String, Equatable, Sendable {
        /// PAM_RHOST; the terminal when there is none (sudo, su).
        case rhost
        /// PAM_RHOST and the terminal together, or the one there is.
        case rhostAndTTY = "rhost+tty"
        /// The terminal only.
        case tty
    }

    /// Seconds the grace lasts after an accepted code.
    public var seconds: Int
    public var key: Key

    /// The periods `grace_period=` accepts (0 turns it off).
    public static let range: ClosedRange<Int> = 0...86_400
    /// Grace records kept per user (the newest), so the state file stays small.
    public static let maximumRecords = 16
    /// The longest service name and place a grace is recorded for (a longer one gets none,
    /// so the state file always reads back).
    public static let maximumServiceBytes = 256
    public static let maximumKeyBytes = 512

    public init(seconds: Int, key: Key = .rhost) {
        self.seconds = seconds
        self.key = key
    }

    /// The key text for a login with this `rhost` and `tty` (either may be nil or empty);
    /// nil when the login has none of what the key asks for.
    public func keyText(rhost: String?, tty: String?) -> String? {
        let address = rhost.flatMap { $0.isEmpty ? nil : "rhost " + $0 }
        let terminal = tty.flatMap { $0.isEmpty ? nil : "tty " + $0 }
        switch key {
        case .rhost: return address ?? terminal
        case .tty: return terminal
        case .rhostAndTTY:
            guard let address else { return terminal }
            return terminal.map { address + " " + $0 } ?? address
        }
    }

    /// True when a grace of `age` seconds still holds (a negative age, from a clock that
    /// went back, does not).
    public func covers(age: Int64) -> Bool {
        seconds > 0 && age >= 0 && age < Int64(seconds)
    }
}

/// One grace: a code was accepted for `service` from the place `key` at `time`.
public struct GraceRecord: Equatable, Sendable {
    public let service: String
    public let key: String
    /// Unix time of the accepted code.
    public let time: Int64

    public init(service: String, key: String, time: Int64) {
        self.service = service
        self.key = key
        self.time = time
    }
}

extension UserState {
    /// The store's own records after a login the policy decided (kept outside
    /// `VerificationPolicy`, whose SQL twin has none): when it was accepted, and, for an
    /// accepted code (never a backup code) with `graceKey` set, the grace of `service` there.
    public func recordingLogin(_ outcome: VerificationOutcome, at time: Int64, service: String,
                               graceKey: String?) -> UserState {
        guard outcome.isAccepted else { return self }
        var next = self
        next.lastAccepted = time
        if case .acceptedCode = outcome, let graceKey { next = next.recordingGrace(service: service, key: graceKey, time: time) }
        return next
    }

    /// Seconds from the grace recorded for `service` and `key` to `now`; nil when none is.
    public func graceAge(service: String, key: String, now: Int64) -> Int64? {
        guard let record = graces.last(where: { $0.service == service && $0.key == key }) else { return nil }
        let (age, overflow) = now.subtractingReportingOverflow(record.time)
        return overflow ? nil : age
    }

    /// This state with a grace for `service` and `key` at `time`, replacing an older one for
    /// the same place, and keeping the newest `GracePeriod.maximumRecords`. Unchanged for a
    /// service or place longer than the state file holds.
    public func recordingGrace(service: String, key: String, time: Int64) -> UserState {
        guard service.utf8.count <= GracePeriod.maximumServiceBytes, !key.isEmpty, key.utf8.count <= GracePeriod.maximumKeyBytes,
              time >= 0 else { return self }
        var next = self
        next.graces.removeAll { $0.service == service && $0.key == key }
        next.graces.append(GraceRecord(service: service, key: key, time: time))
        if next.graces.count > GracePeriod.maximumRecords {
            next.graces.removeFirst(next.graces.count - GracePeriod.maximumRecords)
        }
        return next
    }
}
