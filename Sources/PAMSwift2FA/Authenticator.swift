import CPAM
import Glibc
import TwoFactorCore
import TwoFactorStore

/// One run of `pam_sm_authenticate`: options, user, secret, the answer, then the
/// verification under the user's lock. Every path ends in a PAM code and exactly
/// one final log line (`AttemptLog`).
struct Authenticator {
    let handle: OpaquePointer
    let conversation: Conversation

    init(handle: OpaquePointer) {
        self.handle = handle
        self.conversation = Conversation(handle: handle)
    }

    func authenticate(arguments: [String]) -> Int32 {
        var attempt = AttemptLog(
            handle: handle,
            service: conversation.item(PAM_SERVICE) ?? "",
            rhost: conversation.item(PAM_RHOST) ?? "")

        let options: ModuleOptions
        switch ModuleOptions.parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let error):
            return attempt.finish("config-error", reason: error.description, code: PAM_SERVICE_ERR)
        }
        let log = PAMLog(handle: handle, debugEnabled: options.debug)

        guard let user = conversation.user() else {
            return attempt.finish("error", reason: "the application gave no user name", code: PAM_AUTH_ERR)
        }
        attempt.user = user
        if let problem = UserName.problem(with: user) {
            return attempt.finish("bad-user", reason: problem, code: PAM_AUTH_ERR)
        }

        let store = Store(directory: options.storeDirectory)
        if let problem = store.checkDirectory() {
            return attempt.finish("file-error", reason: problem.description, code: PAM_AUTH_ERR)
        }

        var record: SecretRecord?
        var notEnrolledReason = "no secret file"
        let account = PasswdEntry.lookup(user)
        if let account {
            switch loadSecret(options: options, store: store, account: account, log: log) {
            case .failure(let problem):
                return attempt.finish("file-error", reason: problem.description, code: PAM_AUTH_ERR)
            case .success(let loaded):
                record = loaded
            }
        } else {
            notEnrolledReason = "unknown user"
        }

        guard let record else {
            if options.enroll, let account, let code = LoginEnrollment(
                conversation: conversation, options: options, store: store, account: account, log: log
            ).offer(attempt: &attempt) {
                return code
            }
            if options.nullok {
                return attempt.finish("not-enrolled", reason: "\(notEnrolledReason), nullok", code: PAM_IGNORE)
            }
            // Ask anyway, so whether a user is enrolled cannot be probed.
            if case .failure(let code) = obtainAnswer(options: options, digits: OTPParameters.standard.digits) {
                return attempt.finish("conversation-error", reason: "no answer from the application", code: code.value)
            }
            return attempt.finish("not-enrolled", reason: notEnrolledReason, code: PAM_AUTH_ERR)
        }

        let answer: String
        switch obtainAnswer(options: options, digits: record.parameters.digits) {
        case .success(let text): answer = text
        case .failure(let code):
            return attempt.finish("conversation-error", reason: "no answer from the application", code: code.value)
        }
        return verify(answer: answer, record: record, user: user, store: store, options: options, log: log, attempt: &attempt)
    }

    /// Reads the user's secret file from the store, or with the user's file-system
    /// identity in home mode (`secret=~/...`). Nil when the user is not enrolled.
    private func loadSecret(options: ModuleOptions, store: Store, account: PasswdEntry, log: PAMLog) -> Result<SecretRecord?, StoreError> {
        guard let path = options.secretPath(user: account.name, home: account.home) else {
            return .failure(StoreError("option secret= expands to a relative path"))
        }
        log.debug("reading secret file \(path)")
        guard options.secretTemplate != nil else {
            return Store.readSecret(at: path, owners: store.trustedOwners)
        }
        // Outside the store: open as the user, and accept only the user's or root's file.
        let owners: [uid_t] = account.uid == 0 ? [0] : [account.uid, 0]
        guard geteuid() == 0 && account.uid != 0 else {
            return Store.readSecret(at: path, owners: owners)
        }
        var previousUID: UInt32 = 0
        var previousGID: UInt32 = 0
        guard s2fa_set_fs_ids(account.uid, account.gid, &previousUID, &previousGID) == 1 else {
            _ = s2fa_set_fs_ids(previousUID, previousGID, nil, nil)
            return .failure(StoreError("cannot take the file-system identity of uid \(account.uid)"))
        }
        let result = Store.readSecret(at: path, owners: owners)
        guard s2fa_set_fs_ids(previousUID, previousGID, nil, nil) == 1 else {
            log.error("cannot restore file-system uid \(previousUID) and gid \(previousGID)")
            return .failure(StoreError("cannot restore the file-system identity"))
        }
        return result
    }

    /// The user's answer: prompted, or taken from PAM_AUTHTOK per the options.
    private func obtainAnswer(options: ModuleOptions, digits: Int) -> Result<String, PAMCode> {
        if options.useFirstPass || options.tryFirstPass {
            if let token = conversation.item(PAM_AUTHTOK) {
                if options.useFirstPass || CombinedAnswer.looksLikeCode(token, digits: digits) {
                    return .success(token)
                }
            } else if options.useFirstPass {
                return .failure(PAMCode(PAM_AUTHINFO_UNAVAIL))
            }
        }
        let reply = conversation.ask(options.effectivePrompt, echo: options.echoCode)
        guard options.forwardPass, case .success(let combined) = reply else { return reply }
        let (password, code) = CombinedAnswer.split(combined, digits: digits)
        guard conversation.setItem(PAM_AUTHTOK, to: password) else { return .failure(PAMCode(PAM_SYSTEM_ERR)) }
        return .success(code)
    }

    /// Verifies under the user's lock and stores the new state before answering.
    private func verify(answer: String, record: SecretRecord, user: String, store: Store,
                        options: ModuleOptions, log: PAMLog, attempt: inout AttemptLog) -> Int32 {
        let lock: UserLock
        switch store.lock(user: user) {
        case .success(let acquired): lock = acquired
        case .failure(let problem):
            return attempt.finish("file-error", reason: problem.description, code: PAM_AUTH_ERR)
        }
        defer { lock.release() }
        let state: UserState
        switch store.readState(user: user) {
        case .success(let loaded): state = loaded
        case .failure(let problem):
            return attempt.finish("state-error", reason: problem.description, code: PAM_AUTH_ERR)
        }
        let now = Int64(time(nil))
        let decision = options.policy.verify(answer: answer, record: record, state: state, now: now)
        log.debug("failures before \(state.failures), after \(decision.state.failures)")
        if decision.stateChanged, let problem = store.writeState(decision.state, user: user) {
            return attempt.finish("state-error", reason: "\(decision.outcome.logName) but not saved: \(problem)", code: PAM_AUTH_ERR)
        }
        switch decision.outcome {
        case .acceptedTOTP, .acceptedBackup:
            return attempt.finish(decision.outcome.logName, reason: nil, code: PAM_SUCCESS)
        case .throttled(let until):
            return attempt.finish("throttled", reason: "until \(until) after \(state.failures) failures", code: PAM_AUTH_ERR)
        case .locked:
            return attempt.finish("locked", reason: "run swift-2fa-setup unlock --user \(user)", code: PAM_AUTH_ERR)
        case .rejected, .replayed:
            return attempt.finish(decision.outcome.logName, reason: "\(decision.state.failures) consecutive failures", code: PAM_AUTH_ERR)
        }
    }
}
