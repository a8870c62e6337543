/// Resynchronising a credential from two consecutive codes (`swift-2fa-setup resync`), as
/// FreeIPA's `otptoken-sync` does: a HOTP token whose counter ran ahead, a TOTP token whose
/// clock is off.
public enum CredentialResync {
    /// HOTP counters searched after the next expected one.
    public static let hotpSearch = 200
    /// TOTP steps searched either side of the server's step (without any offset).
    public static let totpSearch = DriftFinding.searchedSteps

    /// What a resync found: the credential's new kind (counter or offset) and the step or
    /// counter of the second code, now used.
    public struct Found: Equatable, Sendable {
        /// The credential's new kind: its counter past the codes, or its clock offset.
        public let kind: Credential.Kind
        /// The step or counter of the second code, now used.
        public let lastCounter: UInt64
        /// For TOTP, the new offset in steps; for HOTP, the counters skipped.
        public let shift: Int64

        /// A finding from its parts (a store that searches itself, such as the fleet's database).
        public init(kind: Credential.Kind, lastCounter: UInt64, shift: Int64) {
            self.kind = kind
            self.lastCounter = lastCounter
            self.shift = shift
        }
    }

    /// Finds `first` and `second` as the codes of two consecutive counters (steps) of
    /// `credential` at time `now`, none of them used according to `state`.
    public static func find(_ credential: Credential, first: String, second: String, state: CredentialState,
                            now: Int64) throws(CredentialChangeError) -> Found {
        let codes = [VerificationPolicy.trimmed(first), VerificationPolicy.trimmed(second)]
        guard codes.allSatisfy({ $0.utf8.count == credential.digits && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else {
            throw CredentialChangeError("give two \(credential.digits)-digit codes")
        }
        guard codes[0] != codes[1] else { throw CredentialChangeError("the two codes are the same; give two consecutive codes") }
        let start: UInt64
        let count: Int
        switch credential.kind {
        case .hotp(let counter):
            var next = counter
            if let last = state.lastCounter, last >= next { next = last &+ 1 }
            start = next
            count = hotpSearch + 1
        case .totp(let period, _):
            guard now >= 0, period > 0 else { throw CredentialChangeError("the clock is before 1970") }
            let server = UInt64(now) / UInt64(period)
            start = server >= UInt64(totpSearch) ? server - UInt64(totpSearch) : 0
            count = 2 * totpSearch + 1
        }
        var found: UInt64?
        var counter = start
        var previousMatched = false
        for _ in 0...count {
            let code = credential.code(forCounter: counter)
            if previousMatched, code == codes[1], found == nil { found = counter }
            previousMatched = code == codes[0]
            let (next, overflow) = counter.addingReportingOverflow(1)
            if overflow { break }
            counter = next
        }
        guard let second = found, !state.hasUsed(second - 1) else {
            throw CredentialChangeError("the two codes are not consecutive codes of '\(credential.label)' in the searched range; "
                                        + "check the credential and type two new codes one after the other")
        }
        switch credential.kind {
        case .hotp(let counter):
            let (after, overflow) = second.addingReportingOverflow(1)
            guard !overflow else { throw CredentialChangeError("the token's counter is at its end") }
            return Found(kind: .hotp(counter: after), lastCounter: second, shift: Int64(clamping: after) - Int64(clamping: counter))
        case .totp(let period, _):
            let server = UInt64(now) / UInt64(period)
            let offset = second >= server ? Int64(clamping: second - server) : -Int64(clamping: server - second)
            guard Credential.offsetRange.contains(Int(offset)) else {
                throw CredentialChangeError("the token's clock is \(offset) steps (about \(offset.magnitude * UInt64(period)) s) off, "
                                            + "more than \(Credential.offsetRange.upperBound) steps: set the token's or the server's clock")
            }
            return Found(kind: .totp(period: period, offset: Int(offset)), lastCounter: second, shift: offset)
        }
    }

    /// Resynchronises the credential `name` of `record` (an id or a label) at `now`: the
    /// record with its new kind, the state with both codes used, and what was found.
    public static func apply(to name: String, first: String, second: String, record: SecretRecord, state: UserState,
                             now: Int64) throws(CredentialChangeError) -> (record: SecretRecord, state: UserState, found: Found) {
        let credential = try record.credentialNamed(name)
        let found = try find(credential, first: first, second: second, state: state.state(of: credential), now: now)
        let next = try record.replacingKind(of: name, with: found.kind)
        var used = state.state(of: try next.credentialNamed(name))
        used.lastCounter = max(used.lastCounter ?? 0, found.lastCounter)
        return (next, state.updating(used), found)
    }
}
