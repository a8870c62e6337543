/// What the fleet schema holds of a user's credentials, until its migration to several
/// credentials: one TOTP credential without a clock offset, of 6 or 8 digits (the schema's
/// check constraints; FleetTests' PolicyConstantsTests compares them).
public enum FleetCredentialLimits {
    /// The digits the schema's `check_parameters` and table constraints accept.
    public static let allowedDigits: Set<Int> = [6, 8]
}
