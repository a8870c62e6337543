/// What the fleet schema holds of a credential beyond the core's own limits: HOTP counters
/// (and used steps) up to 2^62 - 1, so that every counter a verification computes fits the
/// database's bigint (the schema's check constraints; FleetTests' PolicyConstantsTests compares them).
public enum FleetCredentialLimits {
    /// The highest counter or used step the schema's `credential` and `pending` tables accept.
    public static let maximumCounter: UInt64 = (1 << 62) - 1
}
