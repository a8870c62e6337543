import Testing
@testable import TwoFactorStore

/// How a refused statement's SQLSTATE becomes a FleetError kind, whatever transport read it.
@Suite struct FleetErrorTests {
    @Test("no usable primary is database-unavailable: a read-only session (a standby), connection, resource and shutdown errors",
          arguments: ["25006", "08006", "08001", "53300", "57P01", "57014", "58030"])
    func unavailable(sqlState: String) {
        #expect(FleetError.kind(sqlState: sqlState) == .databaseUnavailable)
    }

    @Test("the schema's own SQLSTATEs and the permission error", arguments: [
        ("S2F01", FleetError.Kind.alreadyEnrolled), ("S2F02", .notEnrolled), ("S2F03", .notAllowed),
        ("S2F04", .invalidArgument), ("S2F05", .adminPending), ("42501", .notAllowed), ("23514", .invalidArgument),
        ("42P01", .databaseError), ("25P02", .databaseError), ("", .databaseError),
    ])
    func schemaStates(sqlState: String, kind: FleetError.Kind) {
        #expect(FleetError.kind(sqlState: sqlState) == kind)
    }
}
