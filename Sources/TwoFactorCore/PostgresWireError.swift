/// Why a PostgreSQL v3 protocol exchange cannot go on: a message that is malformed, too
/// large, out of order, or asks for something this client never does (a credential).
/// `description` is one line for the log; it holds no value a server sent in a row.
public struct PostgresWireError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
