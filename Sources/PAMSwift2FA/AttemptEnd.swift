/// How an attempt ends: the `result=` word of the log line, an optional reason, and the
/// PAM return code. Refusals are thrown through the module's flow; acceptance and
/// PAM_IGNORE are returned. `Authenticator.authenticate` turns either into exactly one
/// log line.
struct AttemptEnd: Error {
    let result: String
    let reason: String?
    let code: Int32
    /// The label of the credential whose code was accepted (`credential="…"`).
    let credential: String?

    init(_ result: String, _ reason: String?, code: Int32, credential: String? = nil) {
        self.result = result
        self.reason = reason
        self.code = code
        self.credential = credential
    }
}
