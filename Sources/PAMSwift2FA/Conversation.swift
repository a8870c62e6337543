import CPAM

/// Talking to the user through the application's PAM conversation function, and the
/// PAM items and data the module reads and writes.
struct Conversation {
    let handle: OpaquePointer

    /// Asks one question. Nil when the conversation failed in any way: the caller refuses
    /// with PAM_CONV_ERR, whatever the application's conversation function returned.
    func ask(_ prompt: String, echo: Bool) -> String? {
        var answer: UnsafeMutablePointer<CChar>?
        let rc = s2fa_pam_ask(handle, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt, &answer)
        defer { s2fa_free_secret(answer) }
        guard rc == PAM_SUCCESS, let answer else { return nil }
        return String(cString: answer)
    }

    /// A string item such as PAM_SERVICE or PAM_RHOST.
    func item(_ item: Int32) -> String? {
        guard let value = s2fa_pam_get_string_item(handle, item) else { return nil }
        return String(cString: value)
    }

    /// Sets a string item such as PAM_AUTHTOK.
    func setItem(_ item: Int32, to value: String) -> Bool {
        s2fa_pam_set_string_item(handle, item, value) == PAM_SUCCESS
    }

    /// The user name as the application gave it.
    func user() -> String? {
        var user: UnsafePointer<CChar>?
        guard s2fa_pam_get_user(handle, &user) == PAM_SUCCESS, let user else { return nil }
        return String(cString: user)
    }

    /// Keeps the code a `split_answer` instance split off, for the verifying instance.
    func keepCode(_ code: String) -> Bool {
        s2fa_keep_code(handle, code) == PAM_SUCCESS
    }

    /// Marks the code a `split_answer` instance kept as decided on by this instance, so
    /// that `pam_sm_setcred` lets the login through (`KeptCodeGuard`).
    func settleKeptCode() {
        _ = s2fa_settle_kept_code(handle)
    }

    /// Takes the code a `split_answer` instance kept (once). Nil when there is none.
    func takeKeptCode() -> String? {
        var code: UnsafeMutablePointer<CChar>?
        defer { s2fa_free_secret(code) }
        guard s2fa_take_kept_code(handle, &code) == PAM_SUCCESS, let code else { return nil }
        return String(cString: code)
    }

    /// Hands an idle pooler connection on to the instance that verifies the kept code.
    /// False when it could not be kept (the caller closes it).
    func keepConnection(_ descriptor: Int32) -> Bool {
        s2fa_keep_connection(handle, descriptor) == PAM_SUCCESS
    }

    /// Takes the pooler connection a `split_answer` instance handed on (once). Nil when
    /// there is none.
    func takeKeptConnection() -> Int32? {
        let descriptor = s2fa_take_kept_connection(handle)
        return descriptor >= 0 ? descriptor : nil
    }
}
