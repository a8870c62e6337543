// UserState.parse: the state file parser, version 2 (`credential` and `drift` lines) and
// version 1 (`last_step`, `enrollment`), which reads as one credential's state.
// Properties: parse → serialize (always version 2) → parse is stable; the numbers, fingerprints
// and credential lines stay within what the file holds; a failure, a backup try, an accepted
// code of a credential and binding to a record, each on top of any parsed state, stay readable.
// StateSlotFile: any bytes decode without trapping; a parsed state written into a new slot
// file reads back, and a later in-place write torn at any byte leaves it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserState(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? StateSlotFile.decode(Array(UnsafeBufferPointer(start: data, count: size)))
    let text = fuzzText(data, size)
    guard let state = try? UserState.parse(text) else { return 0 }
    fuzzCheck(UserState.failuresRange.contains(state.failures), "failures out of range")
    fuzzCheck(UserState.failuresRange.contains(state.backupFailures), "backup failures out of range")
    fuzzCheck(state.throttledUntil >= 0, "negative throttled_until")
    fuzzCheck(state.credentials.count <= UserState.maximumCredentialStates, "\(state.credentials.count) credential lines")
    fuzzCheck(Set(state.credentials.map { $0.fingerprint }).count == state.credentials.count, "a repeated credential state")
    fuzzCheck(state.credentials.allSatisfy { $0.fingerprint.isEmpty || CredentialState.isFingerprint($0.fingerprint) },
              "a malformed fingerprint accepted")
    fuzzCheck(state.credentials.allSatisfy { $0.fingerprint == $0.fingerprint.lowercased() && ($0.lastUsed ?? 0) >= 0 },
              "fingerprint not lower case or a negative time")
    if let drift = state.lastDrift {
        fuzzCheck(CredentialState.isFingerprint(drift.fingerprint) && DriftFinding.stepsRange.contains(drift.steps) && drift.time >= 0,
                  "drift out of range")
    }
    if let lines = try? KeyValueLines.parse(text, kind: UserState.kind), lines.version == 1 {
        fuzzCheck(state.credentials.count == 1 && state.credentials[0].lastUsed == nil && state.lastDrift == nil,
                  "a version 1 file did not read as one credential's state")
    }
    let serialized = state.serialized()
    fuzzCheck(serialized.hasPrefix("version 2\n"), "not written as version 2")
    let again = try? UserState.parse(serialized)
    fuzzCheck(again == state, "round trip changed the state")

    // A failure recorded on top of any parsed state must not trap and must stay parseable.
    let now = Int64(size) * 1_000_003
    let next = ThrottlePolicy.standard.recordingFailure(state, now: now)
    fuzzCheck((try? UserState.parse(next.serialized())) == next, "state after a failure does not round-trip")
    fuzzCheck(next.backupFailures == 0, "a failure did not start the backup tries over")
    if let created = try? StateSlotFile.write(state, over: nil), case .replace(let file) = created {
        fuzzCheck((try? StateSlotFile.decode(file)) == state, "a new slot file does not read back")
        if let plan = try? StateSlotFile.write(next, over: file), case .inPlace(let offset, let bytes) = plan {
            let cut = size % (bytes.count + 1)
            var torn = file
            torn.replaceSubrange(offset..<(offset + cut), with: bytes.prefix(cut))
            var complete = file
            complete.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            let read = try? StateSlotFile.decode(torn)
            fuzzCheck(read == state || (torn == complete && read == next), "a torn slot write did not leave the state before it")
        }
    } else {
        fuzzCheck(serialized.utf8.count > StateSlotFile.maximumSlotSize - StateSlotFile.slotHeaderLength,
                  "a state that fits a slot was refused")
    }
    // So must a wrong backup code during a back-off, which is not a failure.
    let tried = ThrottlePolicy.standard.recordingBackupFailure(state)
    fuzzCheck(tried.failures == state.failures && tried.locked == state.locked, "a backup try counted as a failure")
    fuzzCheck((try? UserState.parse(tried.serialized())) == tried, "state after a backup try does not round-trip")

    // Bound to a record of two credentials, the state keeps only their replay state (a version 1
    // state without a fingerprint becomes the first's), and an accepted code of the second is
    // stored for it alone.
    let bound = state.bound(to: fuzzStateRecord)
    let prints = fuzzStateRecord.credentials.map { $0.fingerprint }
    fuzzCheck(bound.credentials.allSatisfy { prints.contains($0.fingerprint) }, "binding kept another credential's state")
    fuzzCheck(bound.failures == state.failures && bound.locked == state.locked && bound.usedBackupSalts == state.usedBackupSalts,
              "binding changed the person's state")
    if state.credentials.contains(where: { $0.fingerprint.isEmpty }), !state.credentials.contains(where: { $0.fingerprint == prints[0] }) {
        fuzzCheck(bound.credentials.contains { $0.fingerprint == prints[0] }, "unbound state not given to the first credential")
    }
    fuzzCheck((try? UserState.parse(bound.serialized())) == bound, "bound state does not round-trip")
    let counter = UInt64(size) &* 0x9E37_79B9_7F4A_7C15
    let used = bound.updating(CredentialState(fingerprint: prints[1], lastCounter: counter, lastUsed: now))
    fuzzCheck(used.state(of: fuzzStateRecord.credentials[1]).lastCounter == counter, "accepted counter not stored")
    fuzzCheck(used.state(of: fuzzStateRecord.credentials[0]) == bound.state(of: fuzzStateRecord.credentials[0]),
              "another credential's state changed")
    fuzzCheck((try? UserState.parse(used.serialized())) == used, "state after an accepted code does not round-trip")
    return 0
}

/// A record of a TOTP and a HOTP credential, to bind parsed states to.
private let fuzzStateRecord = SecretRecord(
    credentials: [
        Credential(id: 1, label: "phone", kind: .totp(period: 30, offset: 0), algorithm: .sha1, digits: 6,
                   secret: Array("12345678901234567890".utf8), created: 1_764_456_000),
        Credential(id: 2, label: "token", kind: .hotp(counter: 0), algorithm: .sha256, digits: 8,
                   secret: Array("abcdefghijabcdefghij".utf8), created: 1_764_457_000),
    ],
    created: 1_764_456_000, backupKey: Array("12345678901234567890".utf8))
