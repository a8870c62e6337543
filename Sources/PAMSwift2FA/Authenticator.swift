import CPAM
import Glibc
import TwoFactorCore
import TwoFactorStore

/// One run of `pam_sm_authenticate`: the options (configuration file, then the module
/// line), the canonical account, the answer, then the verification under the user's lock
/// with the secret and the state read there. Every path ends in a PAM code and exactly
/// one final log line (`AttemptLog`).
struct Authenticator {
    let handle: OpaquePointer
    let conversation: Conversation

    init(handle: OpaquePointer) {
        self.handle = handle
        self.conversation = Conversation(handle: handle)
    }

    /// Runs the attempt and writes its log line.
    func authenticate(arguments: [String]) -> Int32 {
        var attempt = AttemptLog(
            handle: handle,
            service: conversation.item(PAM_SERVICE) ?? "",
            rhost: conversation.item(PAM_RHOST) ?? "")
        do throws(AttemptEnd) {
            let accepted = try run(arguments: arguments, attempt: &attempt)
            return attempt.finish(accepted.result, reason: accepted.reason, code: accepted.code)
        } catch {
            return attempt.finish(error.result, reason: error.reason, code: error.code)
        }
    }

    /// The attempt's steps. Returns how a successful (or ignored) attempt ends; every
    /// refusal is thrown. An instance that checks a kept code settles it when it does not
    /// refuse (`KeptCodeGuard`).
    private func run(arguments: [String], attempt: inout AttemptLog) throws(AttemptEnd) -> AttemptEnd {
        let options = try loadOptions(arguments)
        let end = try decide(options: options, attempt: &attempt)
        if options.answerSource == .useFirstPass || options.answerSource == .tryFirstPass {
            conversation.settleKeptCode()
        }
        return end
    }

    private func decide(options: ModuleOptions, attempt: inout AttemptLog) throws(AttemptEnd) -> AttemptEnd {
        let log = PAMLog(handle: handle, debugEnabled: options.debug)
        log.debug("pam_swift2fa \(ProductVersion.current)")

        guard let givenUser = conversation.user() else {
            throw AttemptEnd("error", "the application gave no user name", code: PAM_AUTH_ERR)
        }
        attempt.user = givenUser
        if let problem = UserName.problem(with: givenUser) { throw AttemptEnd("bad-user", problem, code: PAM_AUTH_ERR) }

        let account: PasswdEntry?
        switch PasswdEntry.lookup(givenUser) {
        case .success(let entry):
            if let problem = UserName.problem(with: entry.name) {
                throw AttemptEnd("bad-user", "account name: \(problem)", code: PAM_AUTH_ERR)
            }
            account = entry
            attempt.user = entry.name
            if entry.name != givenUser { attempt.givenUser = givenUser }
        case .failure(.noSuchUser):
            account = nil
        case .failure(let error):
            throw AttemptEnd("nss-error", error.description, code: PAM_AUTHINFO_UNAVAIL)
        }

        if let fleet = options.fleet {
            return try FleetLogin(authenticator: self, options: options, settings: fleet, log: log)
                .run(account: account, givenUser: givenUser)
        }

        let store = Store(directory: options.storeDirectory)
        do throws(StoreError) { try store.checkDirectory() } catch {
            throw AttemptEnd("file-error", error.description, code: PAM_AUTH_ERR)
        }
        var files: UserFiles?
        var enrolled: SecretRecord?
        if let account {
            guard let location = options.secretLocation(for: account, storeOwners: store.trustedOwners) else {
                throw AttemptEnd("config-error", "option secret= expands to a relative path", code: PAM_SERVICE_ERR)
            }
            log.debug("secret file \(location.path)")
            let userFiles = UserFiles(handle: handle, account: account, location: location)
            do throws(StoreError) { enrolled = try userFiles.readSecret() } catch {
                throw AttemptEnd("file-error", error.description, code: PAM_AUTH_ERR)
            }
            files = userFiles
        }

        guard let files, let account, let enrolled else {
            if options.enroll, let account, let files, let enrollment = try LoginEnrollment(
                conversation: conversation, options: options, destination: .files(store, files.location),
                account: account, log: log
            ).offer() {
                return enrollment
            }
            let reason = account == nil ? "unknown user" : "no secret file"
            if options.nullok { return AttemptEnd("not-enrolled", "\(reason), nullok", code: PAM_IGNORE) }
            // Ask anyway, so whether a user is enrolled cannot be probed.
            let answer = try obtainAnswer(options: options, digits: OTPParameters.standard.digits)
            if options.answerSource == .split {
                return AttemptEnd("code-kept", reason, code: PAM_IGNORE)
            }
            options.policy.performEquivalentWork(answer: answer, digits: OTPParameters.standard.digits)
            EquivalentFileWork.perform()
            throw AttemptEnd("not-enrolled", reason, code: PAM_AUTH_ERR)
        }

        let answer = try obtainAnswer(options: options, digits: enrolled.parameters.digits)
        if options.answerSource == .split {
            return AttemptEnd("code-kept", "for the use_first_pass instance", code: PAM_IGNORE)
        }
        return try verify(answer: answer, enrolled: enrolled, account: account, files: files, store: store,
                          options: options, log: log)
    }

    /// The configuration file (named by `config=`, or the default), then the module line on top.
    private func loadOptions(_ arguments: [String]) throws(AttemptEnd) -> ModuleOptions {
        let path: String
        switch ModuleOptions.configPath(in: arguments) {
        case .success(let named): path = named
        case .failure(let error): throw AttemptEnd("config-error", error.description, code: PAM_SERVICE_ERR)
        }
        let config: ConfigFile
        do throws(StoreError) { config = try Store.readConfig(at: path) } catch {
            throw AttemptEnd("config-error", error.description, code: PAM_SERVICE_ERR)
        }
        switch ModuleOptions.parse(arguments, config: config) {
        case .success(let options): return options
        case .failure(let error): throw AttemptEnd("config-error", error.description, code: PAM_SERVICE_ERR)
        }
    }

    /// The user's answer: prompted for, or the code a `split_answer` instance kept. A
    /// `split_answer` instance itself splits the one-field answer here, passes the password
    /// on as PAM_AUTHTOK and keeps the code; it never checks it.
    func obtainAnswer(options: ModuleOptions, digits: Int) throws(AttemptEnd) -> String {
        switch options.answerSource {
        case .useFirstPass:
            guard let kept = conversation.takeKeptCode() else {
                throw AttemptEnd("no-code", "use_first_pass, but no split_answer instance kept a code", code: PAM_AUTHINFO_UNAVAIL)
            }
            return kept
        case .tryFirstPass:
            if let kept = conversation.takeKeptCode() { return kept }
            return try ask(options)
        case .prompt:
            return try ask(options)
        case .split:
            let (password, code) = CombinedAnswer.split(try ask(options), digits: digits)
            guard conversation.setItem(PAM_AUTHTOK, to: password), conversation.keepCode(code) else {
                throw AttemptEnd("error", "cannot pass the password on", code: PAM_SYSTEM_ERR)
            }
            return code
        }
    }

    private func ask(_ options: ModuleOptions) throws(AttemptEnd) -> String {
        guard let answer = conversation.ask(options.effectivePrompt, echo: options.echoCode) else {
            throw AttemptEnd("conversation-error", "no answer from the application", code: PAM_CONV_ERR)
        }
        return answer
    }

    /// Verifies under the user's lock: the secret and the state are read there, after the
    /// answer arrived, so a reset or new backup codes take effect at once; an enrollment
    /// that changed while the user was at the prompt refuses the attempt.
    private func verify(answer: String, enrolled: SecretRecord, account: PasswdEntry, files: UserFiles, store: Store,
                        options: ModuleOptions, log: PAMLog) throws(AttemptEnd) -> AttemptEnd {
        let user = account.name
        let lock: UserLock
        let record: SecretRecord?
        do throws(StoreError) {
            lock = try store.lock(user: user)
            record = try files.readSecret()
        } catch {
            throw AttemptEnd("file-error", error.description, code: PAM_AUTH_ERR)
        }
        defer { lock.release() }
        let state: UserState
        do throws(StoreError) { state = try store.readState(user: user) } catch {
            throw AttemptEnd("state-error", error.description, code: PAM_AUTH_ERR)
        }
        guard let record, record == enrolled else {
            options.policy.performEquivalentWork(answer: answer, digits: enrolled.parameters.digits)
            throw AttemptEnd("enrollment-changed", "the enrollment was replaced or removed during the attempt", code: PAM_AUTH_ERR)
        }
        let decision = options.policy.verify(answer: answer, record: record, state: state, now: Int64(time(nil)))
        log.debug("failures before \(state.failures), after \(decision.state.failures)")
        if decision.stateChanged {
            do throws(StoreError) { try store.writeState(decision.state, user: user) } catch {
                throw AttemptEnd("state-error", "\(decision.outcome.logName) but not saved: \(error)", code: PAM_AUTH_ERR)
            }
        }
        switch decision.outcome {
        case .acceptedTOTP, .acceptedBackup:
            return AttemptEnd(decision.outcome.logName, nil, code: PAM_SUCCESS)
        case .throttled(let until):
            throw AttemptEnd("throttled", "until \(until) after \(state.failures) failures", code: PAM_AUTH_ERR)
        case .locked:
            throw AttemptEnd("locked", "run swift-2fa-setup unlock --user \(user)", code: PAM_AUTH_ERR)
        case .rejected, .replayed:
            throw AttemptEnd(decision.outcome.logName, "\(decision.state.failures) consecutive failures", code: PAM_AUTH_ERR)
        }
    }
}
