// UserState.parse: the state file parser. Property: parse → serialize → parse is stable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserState(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let state = try? UserState.parse(text) else { return 0 }
    fuzzCheck(state.failures >= 0 && state.failures <= UserState.maximumFailures, "failures out of range")
    fuzzCheck(state.throttledUntil >= 0, "negative throttled_until")
    let again = try? UserState.parse(state.serialized())
    fuzzCheck(again == state, "round trip changed the state")
    // A failure recorded on top of any parsed state must not trap and must stay parseable.
    let next = ThrottlePolicy.standard.recordingFailure(state, now: Int64(size) * 1_000_003)
    fuzzCheck((try? UserState.parse(next.serialized())) == next, "state after a failure does not round-trip")
    fuzzCheck(next.backupFailures == 0, "a failure did not start the backup tries over")
    // So must a wrong backup code during a back-off, which is not a failure.
    let tried = ThrottlePolicy.standard.recordingBackupFailure(state)
    fuzzCheck(tried.failures == state.failures && tried.locked == state.locked, "a backup try counted as a failure")
    fuzzCheck((try? UserState.parse(tried.serialized())) == tried, "state after a backup try does not round-trip")
    return 0
}
