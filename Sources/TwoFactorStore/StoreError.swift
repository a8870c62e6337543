/// Why the store refused or failed an operation. The text names the file and the
/// reason (never its contents) and is meant for one log or error line.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
