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
            return attempt.finish(accepted.result, reason: accepted.reason, code: accepted.code, credential: accepted.credential)
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
        do throws(UserNameError) { try UserName.check(givenUser) } catch {
            throw AttemptEnd("bad-user", error.description, code: PAM_AUTH_ERR)
        }

        let account: PasswdEntry?
        do throws(PasswdLookupError) {
            account = try PasswdEntry.lookup(givenUser)
        } catch .noSuchUser {
            account = nil
        } catch {
            throw AttemptEnd("nss-error", error.description, code: PAM_AUTHINFO_UNAVAIL)
        }
        if let entry = account {
            do throws(UserNameError) { try UserName.check(entry.name) } catch {
                throw AttemptEnd("bad-user", "account name: \(error.description)", code: PAM_AUTH_ERR)
            }
            attempt.user = entry.name
            if entry.name != givenUser { attempt.givenUser = givenUser }
        }

        // A split_answer instance asks before any password is checked. The caller knows its own
        // address, so an exemption by network may choose the prompt (the password alone); one by
        // group may not (it would tell who is in which group): that user gets everyone's prompt.
        let exemptions = ExemptionCheck(exemptions: options.exemptions, log: log)
        if let reason = exemptions.networkReason(rhost: conversation.item(PAM_RHOST)) {
            if options.answerSource == .split { try passWholeAnswerOn(try askPasswordAlone(options)) }
            return AttemptEnd("exempt", reason, code: PAM_IGNORE)
        }
        if let reason = try exemptions.groupReason(account: account) {
            if options.answerSource == .split { try passWholeAnswerOn(try ask(options)) }
            return AttemptEnd("exempt", reason, code: PAM_IGNORE)
        }

        if options.fleet != nil && options.policy != .standard {
            log.notice("window, throttle and lock options are ignored in fleet mode: the database's settings table is the policy")
        }
        let served = try EnrollmentStoreChoice(options: options, account: account, handle: handle, log: log)
        defer { served.database?.close() }
        return try login(user: account?.name ?? givenUser, account: account, served: served, options: options, log: log)
    }

    /// The login, whichever store serves it. Only a store that reads the enrollment before
    /// the prompt anyway, and `nullok` (PAM_IGNORE before any prompt, or after the one prompt
    /// of `split_answer`), `split_answer` (the split needs the number of digits) and `enroll`
    /// (the offer comes instead of the prompt) ask it before the prompt; then one `verify`
    /// checks the answer and applies the policy. A user who is unknown or not enrolled is
    /// asked and checked like an enrolled one (the store spends what a check costs), so
    /// whether a user is enrolled cannot be probed.
    private func login(user: String, account: PasswdEntry?, served: EnrollmentStoreChoice, options: ModuleOptions,
                       log: PAMLog) throws(AttemptEnd) -> AttemptEnd {
        let store = served.store
        let reason = account == nil ? "unknown user" : store.notEnrolledReason
        let service = conversation.item(PAM_SERVICE) ?? ""
        let rhost = conversation.item(PAM_RHOST)
        let notifier = EventNotifier(program: options.notifyProgram, service: service, rhost: rhost, log: log)
        // grace_period: a stack that prompts for the code (not a split_answer one), a known
        // account, a place to key it on.
        let graceKey = options.grace.seconds > 0 && options.answerSource == .prompt && account != nil
            ? options.grace.keyText(rhost: rhost, tty: conversation.item(PAM_TTY)) : nil
        if let graceKey {
            let age: Int64?
            do throws(EnrollmentStoreError) { age = try store.graceAge(user: user, service: service, key: graceKey) } catch {
                throw LoginOutcomes.refusal(error)
            }
            if let age, options.grace.covers(age: age) {
                return AttemptEnd("accepted-grace", "age=\(age)", code: PAM_SUCCESS)
            }
        }
        var digits = OTPParameters.standard.digits
        if store.readsEnrollmentBeforePrompt || options.nullok || options.answerSource == .split || options.enroll {
            let enrolledDigits: Int?
            do throws(EnrollmentStoreError) { enrolledDigits = try store.promptDigits(user: user) } catch {
                throw LoginOutcomes.refusal(error)
            }
            if let enrolledDigits {
                digits = enrolledDigits
            } else if options.enroll, let account, let enrollments = served.enrollments,
                      let enrollment = try LoginEnrollment(conversation: conversation, options: options,
                                                           enrollments: enrollments, account: account, log: log).offer() {
                if enrollment.code == PAM_SUCCESS { notifier.tell([.enrolled], user: user) }
                return enrollment
            } else if options.nullok {
                // As for an enrolled user, so the prompt does not tell who is enrolled.
                if options.answerSource == .split { try passWholeAnswerOn(try ask(options)) }
                return AttemptEnd("not-enrolled", "\(reason), nullok", code: PAM_IGNORE)
            }
        }
        let answer = try obtainAnswer(options: options, digits: digits)
        if options.answerSource == .split {
            served.database?.handOver()
            return AttemptEnd("code-kept", "for the use_first_pass instance", code: PAM_IGNORE)
        }
        let context = LoginContext(service: service, rhost: rhost, graceKey: graceKey)
        let verification: LoginVerification
        do throws(EnrollmentStoreError) { verification = try store.verify(user: user, answer: answer, context: context) } catch {
            throw LoginOutcomes.refusal(error)
        }
        log.debug("consecutive failures after the attempt: \(verification.failures)")
        notifier.tell(verification.hookEvents, user: user, backupCodesLeft: verification.backupCodesLeft)
        return try LoginOutcomes.end(verification, user: user, notEnrolledReason: reason)
    }

    /// The configuration file (named by `config=`, or the default), then the module line on top.
    private func loadOptions(_ arguments: [String]) throws(AttemptEnd) -> ModuleOptions {
        do throws(ConfigurationError) { return try ConfigurationLoader.options(moduleArguments: arguments) } catch {
            throw AttemptEnd("config-error", error.description, code: PAM_SERVICE_ERR)
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

    /// A `split_answer` instance for a user who needs no code (exempt, or not enrolled with
    /// `nullok`), who types the password alone: the whole `answer` becomes PAM_AUTHTOK and no
    /// code is kept.
    private func passWholeAnswerOn(_ answer: String) throws(AttemptEnd) {
        guard conversation.setItem(PAM_AUTHTOK, to: answer) else {
            throw AttemptEnd("error", "cannot pass the password on", code: PAM_SYSTEM_ERR)
        }
    }

    /// The prompt of a `split_answer` instance for a login exempt by its network.
    static let exemptSplitPrompt = "Password: "

    private func askPasswordAlone(_ options: ModuleOptions) throws(AttemptEnd) -> String {
        try ask(options.prompt ?? Self.exemptSplitPrompt, echo: false)
    }

    private func ask(_ options: ModuleOptions) throws(AttemptEnd) -> String {
        try ask(options.effectivePrompt, echo: options.echoCode)
    }

    private func ask(_ prompt: String, echo: Bool) throws(AttemptEnd) -> String {
        guard let answer = conversation.ask(prompt, echo: echo) else {
            throw AttemptEnd("conversation-error", "no answer from the application", code: PAM_CONV_ERR)
        }
        return answer
    }
}
