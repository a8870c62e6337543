import CCrypto

/// The code side of one verification (`VerificationPolicy.verify`): each credential's window,
/// then, for a code that is not accepted, the drift search (`DriftFinding`) and padding, so
/// that a refusal costs `refusalHMACs` HMACs whatever the number and kind of the user's
/// credentials.
public struct CodeCheck {
    /// HMACs one credential can cost: a TOTP credential's steps ±20 (its window is among
    /// them); a HOTP credential's look-ahead is at most this (`VerificationPolicy.hotpWindowRange`).
    public static let stepsPerCredential = 2 * DriftFinding.searchedSteps + 1
    /// HMACs of every code-shaped answer that is not accepted: what `Credential.maximumCount`
    /// credentials cost at most.
    public static let refusalHMACs = Credential.maximumCount * stepsPerCredential

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

    private let window: Int
    private let hotpWindow: Int
    /// Code HMACs computed so far.
    private var spent = 0

    init(window: Int, hotpWindow: Int) {
        self.window = max(0, min(window, VerificationPolicy.windowRange.upperBound))
        self.hotpWindow = max(0, min(hotpWindow, VerificationPolicy.hotpWindowRange.upperBound))
    }

    /// Compares `typed` with the window of every credential with as many digits: TOTP steps
    /// ±`window` around the credential's current step, HOTP counters from the next expected
    /// one (`Credential.Kind.hotp` or one past the last used, the higher) up to `hotpWindow`
    /// ahead. Every value of every window is computed. The first credential with a fresh
    /// match wins, at its lowest fresh step or counter.
    mutating func match(_ typed: TypedCode, record: SecretRecord, state: UserState, now: Int64,
                        work: inout VerificationWork) -> Match? {
        var result: Match?
        for credential in record.credentials where credential.digits == typed.digits {
            let used = state.state(of: credential)
            let range: (first: UInt64, count: Int)?
            switch credential.kind {
            case .totp:
                range = credential.step(at: now).flatMap { Self.span(around: $0, offsets: -window...window) }
            case .hotp(let counter):
                var next = counter
                if let last = used.lastCounter, last >= next {
                    let (after, overflow) = last.addingReportingOverflow(1)
                    next = overflow ? UInt64.max : after
                }
                range = Self.span(around: next, offsets: 0...hotpWindow)
            }
            guard let range else { continue }
            compute(credential, range, typed, work: &work) { counter in
                if used.hasUsed(counter) {
                    if result == nil { result = .replayed }
                } else if case .accepted? = result {
                } else {
                    result = .accepted(CodeMatch(credentialID: credential.id, label: credential.label,
                                                 isHOTP: !credential.isTOTP, counter: counter))
                }
            }
        }
        return result
    }

    /// For a code that is not accepted: compares it with each TOTP credential's steps ±20
    /// outside its window, then pads the work to `refusalHMACs`. Returns the match closest to
    /// the expected step, if any.
    mutating func refuse(_ typed: TypedCode, record: SecretRecord, now: Int64,
                         work: inout VerificationWork) -> DriftFinding? {
        var finding: DriftFinding?
        let searched = DriftFinding.searchedSteps
        for credential in record.credentials where credential.digits == typed.digits {
            guard credential.isTOTP, let current = credential.step(at: now), window < searched else { continue }
            let flanks = [Self.span(around: current, offsets: -searched...(-window - 1)),
                          Self.span(around: current, offsets: (window + 1)...searched)]
            for flank in flanks {
                guard let flank else { continue }
                compute(credential, flank, typed, work: &work) { step in
                    let steps = step >= current ? Int(step - current) : -Int(current - step)
                    if finding.map({ steps.magnitude < $0.steps.magnitude }) ?? true {
                        finding = DriftFinding(fingerprint: credential.fingerprint, steps: steps, time: now)
                    }
                }
            }
        }
        let padding = Self.refusalHMACs - spent
        if padding > 0 {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: padding) { values in
                Self.placeholderKey.withUnsafeBufferPointer { key in
                    _ = s2fa_hotp_values(Int32(S2FA_SHA1.rawValue), key.baseAddress, key.count, 0, padding, values.baseAddress)
                }
            }
            work.hmacs += padding
            spent += padding
        }
        return finding
    }

    /// The key of the padding HMACs (their results are never compared with anything).
    private static let placeholderKey = [UInt8](repeating: 0, count: 20)

    /// Computes the codes of `credential` for `range` and calls `found` with each counter whose
    /// code is `typed`. The comparison is of two numbers, in constant time.
    private mutating func compute(_ credential: Credential, _ range: (first: UInt64, count: Int), _ typed: TypedCode,
                                  work: inout VerificationWork, found: (UInt64) -> Void) {
        guard range.count > 0 else { return }
        var modulus: UInt32 = 1
        for _ in 0..<typed.digits { modulus &*= 10 }
        work.hmacs += range.count
        spent += range.count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: range.count) { values in
            let written = credential.secret.withUnsafeBufferPointer { key in
                s2fa_hotp_values(credential.algorithm.cryptoID, key.baseAddress, key.count, range.first, range.count,
                                 values.baseAddress)
            }
            guard written == range.count else { return }
            for index in 0..<range.count where values[index] % modulus == typed.value {
                found(range.first &+ UInt64(index))
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
