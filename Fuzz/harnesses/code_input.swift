import CCrypto

// The code-input path: what a user types reaches CombinedAnswer.split (split_answer)
// and VerificationPolicy.verify.
//
// Input layout: byte 0 selects digits/window/state flags, bytes 1..8 a clock offset,
// bytes 9..16 the last accepted step offset, the rest is the typed answer.

private let secret: [UInt8] = Array("12345678901234567890".utf8)
// One backup code, hashed with a single PBKDF2 iteration so the harness stays fast.
private let backup: BackupCodeHash? = BackupCodeHash(
    iterations: 1, salt: Array(repeating: 0x5A, count: 16),
    hash: {
        var out = [UInt8](repeating: 0, count: 32)
        let code = Array("abcdefghjk".utf8)
        let salt = [UInt8](repeating: 0x5A, count: 16)
        _ = s2fa_pbkdf2_sha256(code, code.count, salt, salt.count, 1, &out, out.count)
        return out
    }())

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
    let record = SecretRecord(secret: secret, parameters: parameters, created: 0,
                              backupCodes: backup.map { [$0] } ?? [])
    let state = UserState(lastStep: lastStep, failures: Int(control) * 3, throttledUntil:
                            throttledBits == 0 ? 0 : (throttledBits == 1 ? now &+ 30 : Int64.max / 2),
                          locked: locked, usedBackupSalts: [])
    var policy = VerificationPolicy.standard
    policy.window = window
    let decision = policy.verify(answer: answer, record: record, state: state, now: now)
    switch decision.outcome {
    case .acceptedTOTP(let step):
        fuzzCheck(!locked, "accepted while locked")
        fuzzCheck(step > lastStep, "accepted a replayed step")
        fuzzCheck(decision.state.lastStep == step, "accepted step not stored")
        fuzzCheck(now >= state.throttledUntil, "TOTP accepted while throttled")
    case .acceptedBackup:
        fuzzCheck(!locked, "backup accepted while locked")
        fuzzCheck(decision.state.usedBackupSalts.count == 1, "backup use not recorded")
    case .rejected, .replayed:
        fuzzCheck(decision.state.failures == state.failures + 1, "failure not counted")
    case .throttled, .locked:
        fuzzCheck(!decision.stateChanged, "a refused-unchecked attempt changed the state")
    }
    // The stored state always round-trips through the file format.
    fuzzCheck(UserState.parse(decision.state.serialized()) == .success(decision.state) || decision.state.throttledUntil > Int64.max / 2,
              "decision state does not round-trip")
    return 0
}
