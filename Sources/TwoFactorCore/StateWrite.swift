/// How the store writes a state into its file (`StateSlotFile.write(_:over:)`).
public enum StateWrite: Equatable, Sendable {
    /// `bytes` written at `offset` of the existing file, then one `fdatasync`.
    case inPlace(offset: Int, bytes: [UInt8])
    /// The whole file replaced by `bytes` (a temporary file renamed over it): a new file, the
    /// upgrade of a text file, slots too small for the state, or a damaged file.
    case replace([UInt8])
}
