import CCrypto

// The code-input path: what a user types reaches CombinedAnswer.split (split_answer)
// and VerificationPolicy.verify.
//
// Input layout: byte 0 selects digits/window/state flags, bytes 1..8 a clock offset,
// bytes 9..16 the last accepted step offset, the rest is the typed answer.

private let secret: [UInt8] = Array("12345678901234567890".utf8)
// Two backup codes, hashed with a single PBKDF2 iteration so the harness stays fast:
// one tagged, and one untagged as written before tags.
private func backupHash(_ code: String, tagged: Bool) -> BackupCodeHash? {
    var out = [UInt8](repeating: 0, count: 32)
    let bytes = Array(code.utf8)
    let salt = [UInt8](repeating: tagged ? 0x5A : 0x5B, count: 16)
    _ = s2fa_pbkdf2_sha256(bytes, bytes.count, salt, salt.count, 1, &out, out.count)
    let tag = tagged ? BackupCodeHash.tag(normalizedCode: code, secret: secret) : nil
    return BackupCodeHash(iterations: 1, salt: salt, hash: out, tag: tag)
}
private let tagged = backupHash("abcdefghjk", tagged: true)
private let untagged = backupHash("mnpqrstuvw", tagged: false)

private func readU64(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in 0..<8 where offset + index < bytes.count {
        value |= UInt64(bytes[offset + index]) << UInt64(8 * index)
    }
    return value
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodeInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let control: UInt8 = size > 0 ? bytes[0] : 0
    let digits = (control & 1) == 0 ? 6 : 8
    let window = Int((control >> 1) & 0x0F)          // 0...15: also beyond windowRange
    let locked = (control & 0x20) != 0
    let throttledBits = (control >> 6) & 0x03
    // Times near "now" plus any offset, including the extremes of Int64.
    let now = Int64(bitPattern: 1_764_456_000 &+ readU64(bytes, at: 1) % 4_000_000_000_000)
    let lastStep = readU64(bytes, at: 9)
    let answerStart = min(size, 17)
    let answer = fuzzText(data + answerStart, size - answerStart)

    // split_answer: the two parts always concatenate back to the answer, and the code part
    // is empty, `digits` digits, or a backup code.
    let (password, code) = CombinedAnswer.split(answer, digits: digits)
    fuzzCheck(password + code == answer, "split lost characters")
    if !code.isEmpty {
        let tail = Array(code.utf8)
        let numeric = tail.count == digits && tail.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        fuzzCheck(numeric || CombinedAnswer.isBackupCodeShape(tail), "split produced a non-code tail")
    }
    _ = CombinedAnswer.split(answer, digits: Int(Int8(bitPattern: control)))  // odd digit counts

    let parameters = OTPParameters(algorithm: .sha1, digits: digits, period: 30)
    let legacy = (control & 0x10) != 0 && (control & 0x08) != 0  // also an untagged code
    let record = SecretRecord(secret: secret, parameters: parameters, created: 0,
                              backupCodes: [tagged].compactMap { $0 } + (legacy ? [untagged].compactMap { $0 } : []))
    let throttledUntil = throttledBits == 0 ? 0 : (throttledBits == 1 ? now &+ 30 : Int64.max / 2)
    let state = UserState(lastStep: lastStep, failures: Int(control) * 3, throttledUntil: throttledUntil,
                          locked: locked, usedBackupSalts: [], backupFailures: Int(control >> 2) % 5)
    var policy = VerificationPolicy.standard
    policy.window = window
    policy.dummyHashIterations = 1
    let decision = policy.verify(answer: answer, record: record, state: state, now: now)

    // Equal work on every path: one slow hash per backup-shaped answer (plus one for the
    // untagged code when present), and the same work as for a user who is not enrolled
    // (whenever the whole window lies after 1970).
    let backupShaped = BackupCodes.normalize(VerificationPolicy.trimmed(answer)) != nil
    let slowHashes = decision.work.slowHashes
    fuzzCheck(backupShaped ? (legacy ? (1...2).contains(slowHashes) : slowHashes == 1) : slowHashes == 0,
              "\(slowHashes) slow hashes for one answer")
    if !legacy, now >= 300 {
        fuzzCheck(decision.work == policy.performEquivalentWork(answer: answer, digits: digits),
                  "work differs from a user who is not enrolled")
    }
    switch decision.outcome {
    case .acceptedTOTP(let step):
        fuzzCheck(!locked, "accepted while locked")
        fuzzCheck(step > lastStep, "accepted a replayed step")
        fuzzCheck(decision.state.lastStep == step, "accepted step not stored")
        fuzzCheck(now >= state.throttledUntil, "TOTP accepted while throttled")
    case .acceptedBackup:
        fuzzCheck(!locked, "backup accepted while locked")
        fuzzCheck(decision.state.usedBackupSalts.count == 1, "backup use not recorded")
    case .rejected where now < throttledUntil:
        // Only a wrong backup code is checked during a back-off, and it is not a failure.
        fuzzCheck(decision.state.failures == state.failures, "a failure counted while throttled")
        fuzzCheck(decision.state.backupFailures == state.backupFailures + 1, "backup try not counted")
        fuzzCheck(state.backupFailures < policy.throttle.throttleAfter, "backup checked beyond the period's tries")
        fuzzCheck(decision.state.throttledUntil == throttledUntil, "back-off changed by a backup try")
    case .rejected, .replayed:
        fuzzCheck(decision.state.failures == state.failures + 1, "failure not counted")
    case .throttled, .locked:
        fuzzCheck(!decision.stateChanged, "a refused-unchecked attempt changed the state")
    }
    // The stored state always round-trips through the file format.
    fuzzCheck((try? UserState.parse(decision.state.serialized())) == decision.state || decision.state.throttledUntil > Int64.max / 2,
              "decision state does not round-trip")
    return 0
}
