/// A call of the self-service socket (`serve-user`) in fleet mode: the server acts for one
/// local user through the schema's self_* functions (the right of `db grant-server
/// --self-service`), never the admin's. An accepted code of the user opens a database session
/// with `token` (`verify`, and confirming a pending credential with its own code); every other
/// change and `status` of an enrolled user need that session open.
public struct FleetSelfService: Sendable {
    /// The session token: 64 hex digits, made by serve-user.
    public let token: String
    /// Seconds a session the database opens with `token` lasts (it takes 1 to 900).
    public let sessionSeconds: Int

    public init(token: String, sessionSeconds: Int) {
        self.token = token
        self.sessionSeconds = sessionSeconds
    }
}
