/// A rejected code that matched a TOTP credential's codes outside the window: the token's
/// or the server's clock is off by about `steps` periods. Never accepted; logged for the
/// admin and shown by `status` (the last one, `UserState.lastDrift`).
public struct DriftFinding: Equatable, Sendable {
    /// The credential's `Credential.fingerprint`.
    public var fingerprint: String
    /// Steps from the expected one to the matching one (negative: the token is behind).
    public var steps: Int
    /// When the code was typed (Unix time).
    public var time: Int64

    /// Steps either side of the expected one a rejected code is compared with (±20).
    public static let searchedSteps = 20
    /// The steps a finding can hold.
    public static let stepsRange: ClosedRange<Int> = -searchedSteps...searchedSteps

    /// A finding of the credential with `fingerprint`.
    public init(fingerprint: String, steps: Int, time: Int64) {
        self.fingerprint = fingerprint
        self.steps = steps
        self.time = time
    }

    /// The log's reason text for a credential of `period` seconds:
    /// `code matches step -3: clock off about 90 s`.
    public func reason(period: Int) -> String {
        let (seconds, overflow) = steps.magnitude.multipliedReportingOverflow(by: UInt(max(period, 0)))
        return "code matches step \(steps): clock off about \(overflow ? UInt.max : seconds) s"
    }
}
