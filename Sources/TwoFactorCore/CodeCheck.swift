import CCrypto

/// The code side of one verification (`VerificationPolicy.verify`), in `Credential.maximumCount`
/// slots: the user's credentials, then placeholders. Every slot does the same steps (its
/// fingerprint, its replay state, its window; for a code that is not accepted, the drift
/// search and padding up to `stepsPerCredential` HMACs), so that neither the work nor the
/// time tells how many credentials a user has, or whether the user is enrolled.
struct CodeCheck {
    /// HMACs one slot costs for a refused code: a TOTP credential's steps ±20 (its window is
    /// among them); a HOTP credential's look-ahead is at most this (`VerificationPolicy.hotpWindowRange`).
    static let stepsPerCredential = 2 * DriftFinding.searchedSteps + 1
    /// HMACs of every code-shaped answer that is not accepted.
    static let refusalHMACs = Credential.maximumCount * stepsPerCredential

    /// An answer of 6 to 8 ASCII digits, as a number.
    struct TypedCode {
        let value: UInt32
        let digits: Int

        init?(_ trimmed: String) {
            let bytes = trimmed.utf8
            guard Credential.allowedDigits.contains(bytes.count) else { return nil }
            var value: UInt32 = 0
            for byte in bytes {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value &* 10 &+ UInt32(byte - UInt8(ascii: "0"))
            }
            self.value = value
            self.digits = bytes.count
        }
    }

    /// What the windows found.
    enum Match {
        /// A fresh code of this credential.
        case accepted(CodeMatch)
        /// Only codes already used.
        case replayed
    }

    /// One slot: a credential of the record (`real`) or a placeholder, with its fingerprint
    /// and the HMACs spent on it so far.
    private struct Slot {
        let credential: Credential
        let fingerprint: String
        let real: Bool
        var spent = 0
    }

    private let window: Int
    private let hotpWindow: Int
    private var slots: [Slot]

    /// The slots of `record`: its credentials, then placeholders up to `Credential.maximumCount`.
    init(record: SecretRecord, window: Int, hotpWindow: Int) {
        self.window = max(0, min(window, VerificationPolicy.windowRange.upperBound))
        self.hotpWindow = max(0, min(hotpWindow, VerificationPolicy.hotpWindowRange.upperBound))
        var slots: [Slot] = []
        slots.reserveCapacity(Credential.maximumCount)
        for index in 0..<Credential.maximumCount {
            let real = index < record.credentials.count
            let credential = real ? record.credentials[index] : Self.placeholder
            slots.append(Slot(credential: credential, fingerprint: credential.fingerprint, real: real))
        }
        self.slots = slots
    }

    /// The fingerprints of the record's credentials, in order.
    var fingerprints: [String] { slots.filter { $0.real }.map { $0.fingerprint } }

    /// A placeholder slot's credential: what an app's TOTP credential costs.
    private static let placeholder = Credential(id: 1, label: "placeholder", kind: .totp(period: 30, offset: 0),
                                                algorithm: .sha1, digits: 6, secret: [UInt8](repeating: 0, count: 20),
                                                created: 0)

    /// Compares `typed` with every slot's window: TOTP steps ±`window` around the credential's
    /// current step, HOTP counters from the next expected one (`Credential.Kind.hotp` or one
    /// past the last used, the higher) up to `hotpWindow` ahead. Every value of every window
    /// is computed. The first credential with a fresh match wins, at its lowest fresh step or
    /// counter; placeholders and credentials of another length never match.
    mutating func match(_ typed: TypedCode, state: UserState, now: Int64, work: inout VerificationWork) -> Match? {
        var result: Match?
        for index in slots.indices {
            let slot = slots[index]
            let used = state.state(fingerprint: slot.fingerprint)
            let range: (first: UInt64, count: Int)?
            switch slot.credential.kind {
            case .totp:
                range = slot.credential.step(at: now).flatMap { Self.span(around: $0, offsets: -window...window) }
            case .hotp(let counter):
                var next = counter
                if let last = used.lastCounter, last >= next {
                    let (after, overflow) = last.addingReportingOverflow(1)
                    next = overflow ? UInt64.max : after
                }
                range = Self.span(around: next, offsets: 0...hotpWindow)
            }
            guard let range else { continue }
            let counts = slot.real && slot.credential.digits == typed.digits
            compute(index, range, typed, work: &work) { counter in
                guard counts else { return }
                if used.hasUsed(counter) {
                    if result == nil { result = .replayed }
                } else if case .accepted? = result {
                } else {
                    result = .accepted(CodeMatch(credentialID: slot.credential.id, label: slot.credential.label,
                                                 isHOTP: !slot.credential.isTOTP, counter: counter))
                }
            }
        }
        return result
    }

    /// For a code that is not accepted: compares it with each TOTP slot's steps ±20 outside its
    /// window (a HOTP slot computes as many counters after its window), then pads every slot
    /// to `stepsPerCredential` HMACs. Returns the real credential's match closest to its
    /// expected step, if any.
    mutating func refuse(_ typed: TypedCode, now: Int64, work: inout VerificationWork) -> DriftFinding? {
        var finding: DriftFinding?
        let searched = DriftFinding.searchedSteps
        for index in slots.indices {
            let slot = slots[index]
            let counts = slot.real && slot.credential.digits == typed.digits
            switch slot.credential.kind {
            case .totp:
                guard let current = slot.credential.step(at: now), window < searched else { break }
                for flank in [Self.span(around: current, offsets: -searched...(-window - 1)),
                              Self.span(around: current, offsets: (window + 1)...searched)] {
                    guard let flank else { continue }
                    compute(index, flank, typed, work: &work) { step in
                        guard counts else { return }
                        let steps = step >= current ? Int(step - current) : -Int(current - step)
                        if finding.map({ steps.magnitude < $0.steps.magnitude }) ?? true {
                            finding = DriftFinding(fingerprint: slot.fingerprint, steps: steps, time: now)
                        }
                    }
                }
            case .hotp(let counter):
                // Counters after the window: the same HMACs a TOTP slot's flanks cost, never compared.
                if hotpWindow + 1 < Self.stepsPerCredential,
                   let after = Self.span(around: counter, offsets: (hotpWindow + 1)...(Self.stepsPerCredential - 1)) {
                    compute(index, after, typed, work: &work) { _ in }
                }
            }
            pad(index, work: &work)
        }
        return finding
    }

    /// HMACs under a placeholder key, up to the slot's `stepsPerCredential` (where a window was
    /// cut at the ends of the counter).
    private mutating func pad(_ index: Int, work: inout VerificationWork) {
        let missing = Self.stepsPerCredential - slots[index].spent
        guard missing > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: missing) { values in
            Self.placeholder.secret.withUnsafeBufferPointer { key in
                _ = s2fa_hotp_values(Int32(S2FA_SHA1.rawValue), key.baseAddress, key.count, 0, missing, values.baseAddress)
            }
        }
        work.hmacs += missing
        slots[index].spent += missing
    }

    /// Computes the codes of slot `index` for `range` and calls `found` with each counter whose
    /// code is `typed`. The comparison is of two numbers, in constant time.
    private mutating func compute(_ index: Int, _ range: (first: UInt64, count: Int), _ typed: TypedCode,
                                  work: inout VerificationWork, found: (UInt64) -> Void) {
        guard range.count > 0 else { return }
        let credential = slots[index].credential
        var modulus: UInt32 = 1
        for _ in 0..<typed.digits { modulus &*= 10 }
        work.hmacs += range.count
        slots[index].spent += range.count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: range.count) { values in
            let written = credential.secret.withUnsafeBufferPointer { key in
                s2fa_hotp_values(credential.algorithm.cryptoID, key.baseAddress, key.count, range.first, range.count,
                                 values.baseAddress)
            }
            guard written == range.count else { return }
            for offset in 0..<range.count where values[offset] % modulus == typed.value {
                found(range.first &+ UInt64(offset))
            }
        }
    }

    /// The counters at `offsets` from `center`, cut at 0 and at the top of the counter; nil when empty.
    private static func span(around center: UInt64, offsets: ClosedRange<Int>) -> (first: UInt64, count: Int)? {
        let first: UInt64
        if offsets.lowerBound >= 0 {
            let (value, overflow) = center.addingReportingOverflow(UInt64(offsets.lowerBound))
            guard !overflow else { return nil }
            first = value
        } else {
            let back = UInt64(offsets.lowerBound.magnitude)
            first = center >= back ? center - back : 0
        }
        let last: UInt64
        if offsets.upperBound >= 0 {
            let (value, overflow) = center.addingReportingOverflow(UInt64(offsets.upperBound))
            last = overflow ? UInt64.max : value
        } else {
            let back = UInt64(offsets.upperBound.magnitude)
            guard center >= back else { return nil }
            last = center - back
        }
        guard last >= first, last - first < UInt64(stepsPerCredential) else { return nil }
        return (first, Int(last - first) + 1)
    }
}
