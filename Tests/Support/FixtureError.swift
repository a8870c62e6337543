/// A test fixture could not be set up or did not answer as expected.
public struct FixtureError: Error, CustomStringConvertible {
    /// What went wrong, for the test's failure message.
    public let text: String

    /// An error that says `text`.
    public init(text: String) { self.text = text }

    public var description: String { text }
}
