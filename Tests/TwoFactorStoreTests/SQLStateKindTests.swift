import Testing
@testable import TwoFactorStore

/// How the schema's own SQLSTATEs (fleet/schema/functions.sql) become EnrollmentStoreError kinds.
@Suite struct SQLStateKindTests {
    @Test("the schema's SQLSTATEs and the permission error", arguments: [
        ("S2F01", EnrollmentStoreError.Kind.alreadyEnrolled), ("S2F02", .notEnrolled), ("S2F03", .notAllowed),
        ("S2F04", .invalidArgument), ("S2F05", .adminPending), ("42501", .notAllowed), ("23514", .invalidArgument),
        ("42P01", .databaseError),
    ])
    func schemaStates(sqlState: String, kind: EnrollmentStoreError.Kind) {
        #expect(EnrollmentStoreError.kind(sqlState: sqlState) == kind)
    }
}
