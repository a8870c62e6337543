import CCrypto

// The code-input path: what a user types reaches CombinedAnswer.split (split_answer)
// and VerificationPolicy.verify, for a record of 1 to 8 credentials (TOTP and HOTP, 6, 7 or
// 8 digits) with their replay state, all taken from the input.
//
// Input layout (a byte past the end reads as 0):
//   0      window (low nibble, 0...15: also beyond windowRange) and HOTP look-ahead (high nibble x 3)
//   1      flags: locked, back-off (none, 30 s, far), an untagged backup code too, backup tries
//   2      the clock: near 2026, 0, before 1970, near 2^62 or Int64.max; bytes 3...10 its offset
//   11     number of credentials (1...8), then 6 bytes per credential (see `credential(_:)`)
//   then   the answer: a code of one credential some steps away, a backup code, or raw text
//
// Properties: the outcome is the oracle's (the first credential with a fresh code in its
// window wins, at its lowest fresh counter; a code already used is a replay); nothing is
// accepted while locked, no code while throttled; an accepted code's counter is after the
// credential's last and is stored for that credential only; every outcome that does not accept
// costs what `performEquivalentWork` does (a code-shaped answer `CodeCheck.refusalHMACs`
// HMACs), whatever the number of credentials; the state to store round-trips.

private let backupKey: [UInt8] = Array("backup-tag-key-of-the-fuzz".utf8)
private let secrets: [[UInt8]] = [
    Array("12345678901234567890".utf8),
    Array("1234567890".utf8),
    Array("12345678901234567890123456789012".utf8),
    (0..<64).map { UInt8($0) },
]

// Two backup codes, hashed with a single PBKDF2 iteration so the harness stays fast:
// one tagged, and one untagged as written before tags.
private func backupHash(_ code: String, tagged: Bool) -> BackupCodeHash? {
    var out = [UInt8](repeating: 0, count: 32)
    let bytes = Array(code.utf8)
    let salt = [UInt8](repeating: tagged ? 0x5A : 0x5B, count: 16)
    _ = s2fa_pbkdf2_sha256(bytes, bytes.count, salt, salt.count, 1, &out, out.count)
    let tag = tagged ? BackupCodeHash.tag(normalizedCode: code, secret: backupKey) : nil
    return BackupCodeHash(iterations: 1, salt: salt, hash: out, tag: tag)
}
private let backupPlain = ["abcdefghjk", "mnpqrstuvw"]
private let tagged = backupHash(backupPlain[0], tagged: true)
private let untagged = backupHash(backupPlain[1], tagged: false)

/// Credential `index` from 6 bytes: kind and digits, algorithm and secret, period or counter,
/// offset, and the replay state (none, or a last counter some steps around the expected one).
private func credential(_ index: Int, _ input: inout Decisions, now: Int64) -> (Credential, CredentialState?) {
    let shape = input.byte()
    let digits = [6, 7, 8, 6][Int(shape >> 1) % 4]
    let algorithm: HashAlgorithm = [.sha1, .sha256, .sha512, .sha1][Int(shape >> 3) % 4]
    let secret = secrets[Int(shape >> 5) % secrets.count]
    let timing = input.byte()
    let counterBytes = UInt64(input.byte()) | UInt64(input.byte()) << 8
    let kind: Credential.Kind
    if shape & 1 == 0 {
        let offset = Int(Int8(bitPattern: timing)) % (Credential.offsetRange.upperBound + 1)
        kind = .totp(period: [30, 60, 15, 300][Int(counterBytes % 4)], offset: offset)
    } else {
        // Near 0, small, or at the top of the counter.
        kind = .hotp(counter: timing & 0x80 != 0 ? UInt64.max - counterBytes : counterBytes)
    }
    let made = Credential(id: index + 1, label: "c\(index + 1)", kind: kind, algorithm: algorithm, digits: digits,
                          secret: secret, created: 1_764_456_000 + Int64(index))
    let stateByte = input.byte()
    let lastUsed = input.byte()
    guard stateByte & 1 != 0 else { return (made, nil) }
    let expected: UInt64
    switch kind {
    case .totp: expected = made.step(at: now) ?? 0
    case .hotp(let counter): expected = counter
    }
    let delta = Int64(Int8(bitPattern: stateByte)) / 4
    let last = delta >= 0 ? expected.addingReportingOverflow(UInt64(delta)).partialValue : expected &- UInt64(-delta)
    return (made, CredentialState(fingerprint: made.fingerprint, lastCounter: last,
                                  lastUsed: lastUsed == 0 ? nil : max(0, now &- Int64(lastUsed))))
}

/// The counters `credential` accepts at `now`, in order, with whether each was used already
/// (the oracle's reading of the windows, written from the documentation of `CodeCheck.match`).
private func windowCounters(_ credential: Credential, _ used: CredentialState, now: Int64, window: Int, hotpWindow: Int)
    -> [(counter: UInt64, used: Bool)] {
    let first: UInt64
    let last: UInt64
    switch credential.kind {
    case .totp:
        guard let step = credential.step(at: now) else { return [] }
        let width = UInt64(min(max(window, 0), VerificationPolicy.windowRange.upperBound))
        first = step >= width ? step - width : 0
        last = step.addingReportingOverflow(width).overflow ? UInt64.max : step + width
    case .hotp(let start):
        var next = start
        if let lastUsed = used.lastCounter, lastUsed >= next { next = lastUsed == UInt64.max ? UInt64.max : lastUsed + 1 }
        let ahead = UInt64(min(max(hotpWindow, 0), VerificationPolicy.hotpWindowRange.upperBound))
        first = next
        last = next.addingReportingOverflow(ahead).overflow ? UInt64.max : next + ahead
    }
    let counters = (0...(last - first)).map { first + $0 }
    return counters.map { ($0, used.hasUsed($0)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodeInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Decisions(bytes: UnsafeBufferPointer(start: data, count: size))
    let windows = input.byte()
    let window = Int(windows & 0x0F)
    let hotpWindow = Int(windows >> 4) * 3  // 0...45: also beyond hotpWindowRange
    let flags = input.byte()
    let locked = flags & 1 != 0
    let throttledBits = (flags >> 1) & 0x03
    let legacy = flags & 0x08 != 0
    let backupFailures = Int(flags >> 4) % 5
    let clockChoice = input.byte()
    let offset = input.u64()
    let now: Int64
    switch clockChoice % 8 {
    case 1: now = 0
    case 2: now = -Int64(offset % 4_000_000_000)
    case 3: now = (Int64(1) << 62) &+ Int64(offset % 1_000_000)
    case 4: now = Int64.max - Int64(offset % 1_000_000)
    default: now = 1_764_456_000 + Int64(offset % 4_000_000_000_000)
    }
    var credentials: [Credential] = []
    var states: [CredentialState] = []
    for index in 0..<(Int(input.byte()) % Credential.maximumCount + 1) {
        let (made, state) = credential(index, &input, now: now)
        credentials.append(made)
        if let state { states.append(state) }
    }
    let record = SecretRecord(credentials: credentials, created: 1_764_456_000, backupKey: backupKey,
                              backupCodes: [tagged].compactMap { $0 } + (legacy ? [untagged].compactMap { $0 } : []))

    // The answer: a code of a credential some steps from its expected one, a backup code, or raw text.
    let answerChoice = input.byte()
    var answer: String
    switch answerChoice % 4 {
    case 1:
        let target = credentials[Int(input.byte()) % credentials.count]
        let steps = Int64(Int8(bitPattern: input.byte())) / 8
        var base: UInt64 = 0
        switch target.kind {
        case .totp: base = target.step(at: now) ?? 0
        case .hotp(let counter): base = counter
        }
        let counter = steps >= 0 ? base.addingReportingOverflow(UInt64(steps)).partialValue : base &- UInt64(-steps)
        answer = target.code(forCounter: counter) ?? ""
    case 2:
        let plain = backupPlain[Int(answerChoice >> 2) % 2]
        answer = answerChoice & 0x10 != 0 ? plain.uppercased() : String(plain.prefix(5)) + "-" + plain.dropFirst(5)
    default:
        answer = ""
    }
    switch (answerChoice >> 5) % 4 {
    case 1: answer = " \(answer)"
    case 2: answer += "\r\n"
    default: break
    }
    if answerChoice % 4 == 0 || answerChoice % 4 == 3 {
        answer += fuzzText(data + min(input.offset, size), size - min(input.offset, size))
    }
    let digits = record.promptDigits ?? 6

    // split_answer: the two parts always concatenate back to the answer, and the code part
    // is empty, `digits` digits, or a backup code.
    let (password, code) = CombinedAnswer.split(answer, digits: digits)
    fuzzCheck(password + code == answer, "split lost characters")
    if !code.isEmpty {
        let tail = Array(code.utf8)
        let numeric = tail.count == digits && tail.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        fuzzCheck(numeric || CombinedAnswer.isBackupCodeShape(tail), "split produced a non-code tail")
    }
    _ = CombinedAnswer.split(answer, digits: Int(Int8(bitPattern: answerChoice)))  // odd digit counts

    let throttledUntil = throttledBits == 0 ? 0 : (throttledBits == 1 ? now.addingClamped(30) : Int64.max / 2)
    let state = UserState(failures: Int(flags) * 3, throttledUntil: throttledUntil, locked: locked, usedBackupSalts: [],
                          credentials: states, backupFailures: backupFailures)
    var policy = VerificationPolicy.standard
    policy.window = window
    policy.hotpWindow = hotpWindow
    policy.dummyHashIterations = 1
    let decision = policy.verify(answer: answer, record: record, state: state, now: now)
    let bound = state.bound(to: record)

    // The oracle: which credential and counter a code answer is, when it is one.
    let trimmed = VerificationPolicy.trimmed(answer)
    let typedDigits = trimmed.utf8.count
    let codeShaped = trimmed.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && credentials.contains { $0.digits == typedDigits }
    var fresh: CodeMatch?
    var replay = false
    if codeShaped {
        for candidate in credentials where candidate.digits == typedDigits && fresh == nil {
            for (counter, used) in windowCounters(candidate, bound.state(of: candidate), now: now, window: window,
                                                  hotpWindow: hotpWindow) where candidate.code(forCounter: counter) == trimmed {
                if used {
                    replay = true
                } else if fresh == nil {
                    fresh = CodeMatch(credentialID: candidate.id, label: candidate.label, isHOTP: !candidate.isTOTP, counter: counter)
                }
            }
        }
    }
    let throttled = now < throttledUntil
    if !locked, !throttled, let fresh {
        fuzzCheck(decision.outcome == .acceptedCode(fresh), "\(decision.outcome) for the fresh code \(fresh)")
    }
    if !locked, !throttled, fresh == nil, replay, decision.outcome != .acceptedBackup {
        fuzzCheck(decision.outcome == .replayed, "\(decision.outcome) for a used code")
    }

    // Equal work on every refusing path: one slow hash per backup-shaped answer (plus one for
    // the untagged code when present), and the same work as for a user who is not enrolled.
    let backupShaped = BackupCodes.normalize(trimmed) != nil
    let slowHashes = decision.work.slowHashes
    fuzzCheck(backupShaped ? (legacy ? (1...2).contains(slowHashes) : slowHashes == 1) : slowHashes == 0,
              "\(slowHashes) slow hashes for one answer")
    if !decision.outcome.isAccepted {
        if codeShaped {
            fuzzCheck(decision.work.hmacs == CodeCheck.refusalHMACs + (backupShaped ? 1 : 0),
                      "\(decision.work.hmacs) HMACs for a refused code, \(credentials.count) credentials")
        }
        if !legacy {
            let equivalent = policy.performEquivalentWork(answer: answer, digits: codeShaped ? typedDigits : digits)
            fuzzCheck(decision.work == equivalent, "work \(decision.work) differs from a user who is not enrolled (\(equivalent))")
        }
    }
    switch decision.outcome {
    case .acceptedCode(let match):
        fuzzCheck(!locked, "accepted while locked")
        fuzzCheck(!throttled, "code accepted while throttled")
        fuzzCheck(match == fresh, "accepted \(match), the oracle found \(fresh.map { "\($0)" } ?? "nothing")")
        guard let matched = credentials.first(where: { $0.id == match.credentialID }) else {
            fuzzCheck(false, "accepted a credential the record does not hold")
            return 0
        }
        if let last = bound.state(of: matched).lastCounter { fuzzCheck(match.counter > last, "accepted a used counter") }
        let stored = decision.state.state(of: matched)
        fuzzCheck(stored.lastCounter == match.counter && stored.lastUsed == now, "accepted counter not stored")
        for other in credentials where other.fingerprint != matched.fingerprint {
            fuzzCheck(decision.state.state(of: other) == bound.state(of: other), "another credential's state changed")
        }
        fuzzCheck(decision.state.failures == 0 && decision.state.throttledUntil == 0, "success did not reset the failures")
    case .acceptedBackup:
        fuzzCheck(!locked, "backup accepted while locked")
        fuzzCheck(!(throttled && codeShaped), "a code-shaped answer checked as a backup code while throttled")
        fuzzCheck(decision.state.usedBackupSalts.count == 1, "backup use not recorded")
        fuzzCheck(decision.state.credentials == bound.credentials, "a backup code changed a credential's state")
    case .rejected where throttled:
        // Only a wrong backup code is checked during a back-off, and it is not a failure.
        fuzzCheck(decision.state.failures == state.failures, "a failure counted while throttled")
        fuzzCheck(decision.state.backupFailures == state.backupFailures + 1, "backup try not counted")
        fuzzCheck(state.backupFailures < policy.throttle.throttleAfter, "backup checked beyond the period's tries")
        fuzzCheck(decision.state.throttledUntil == throttledUntil, "back-off changed by a backup try")
    case .rejected, .replayed:
        fuzzCheck(decision.state.failures == state.failures + 1, "failure not counted")
        fuzzCheck(decision.state.credentials == bound.credentials, "a refused code changed a credential's state")
    case .throttled, .locked:
        fuzzCheck(!decision.stateChanged, "a refused-unchecked attempt changed the state")
    }
    // The stored state round-trips through the file format (times before 1970 are written as 0).
    let reread = try? UserState.parse(decision.state.serialized())
    fuzzCheck(reread != nil, "decision state does not parse")
    if now >= 0 { fuzzCheck(reread == decision.state, "decision state does not round-trip") }
    return 0
}
