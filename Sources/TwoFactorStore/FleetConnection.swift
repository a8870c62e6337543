/// A way to run one statement on the fleet database: the login process's `PoolerConnection`
/// (the local pooler's Unix socket, the v3 protocol spoken here), or the admin command's
/// libpq connection (FleetLibPQ). `FleetStore` is generic over it, never existential.
public protocol FleetConnection {
    /// Runs `sql` with text `parameters` (nil is SQL NULL); the rows, each value as text or
    /// nil for SQL NULL. Every failure is a `EnrollmentStoreError`; a connection that cannot be used,
    /// or an answer that cannot be trusted, is `.databaseUnavailable`.
    func run(_ sql: String, _ parameters: [String?]) throws(EnrollmentStoreError) -> [[String?]]
}
