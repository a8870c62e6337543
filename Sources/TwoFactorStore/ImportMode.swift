/// How an import (`EnrollmentAdministration.importEnrollment`) meets an enrollment the user
/// already has.
public enum ImportMode: Equatable, Sendable {
    /// An enrolled user is refused (`.alreadyEnrolled`).
    case new
    /// The enrollment, its state and its backup codes are replaced.
    case replace
    /// The imported credentials join the active enrollment (at most `Credential.maximumCount`
    /// in all), which keeps its backup codes; there must be one, and no scratch codes come
    /// with the import.
    case add
}
