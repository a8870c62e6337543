/// The rules a stack that loads pam_swift2fa.so must keep, decided once for `pam enable`,
/// `pam check` and `pam status`, by simulating libpam on every path (`StackSimulation`):
///
/// 1. The module checks a code only after a password module accepted the password: a wrong
///    password has already ended the stack, so no code is checked and no failure counted.
/// 2. A wrong password never lets the stack succeed.
/// 3. A failure of the module fails the stack: nothing skips or overrides it.
/// 4. After a right password the module runs, unless a module other than the password
///    module decides to skip it on purpose (the admin recipes: `pam_access`, `pam_succeed_if`);
///    the password line itself never jumps over it, and no line skips it unconditionally.
/// 5. A right password and a right code can log in.
/// 6. A code kept by a `split_answer` line is always taken by a later `use_first_pass`
///    (or `try_first_pass`) line before the stack succeeds.
public enum StackRules {
    /// The verdict on one stack.
    public struct Report: Sendable {
        /// What breaks a rule, with the line; empty when the stack keeps every rule.
        public let problems: [StackProblem]
        /// Facts worth telling that break no rule.
        public let notes: [String]
        /// Whether some path lets a login succeed at all.
        public let canSucceed: Bool

        public var isSound: Bool { problems.isEmpty }
    }

    /// Checks `stack`. A stack that does not load the module breaks no rule.
    public static func check(_ stack: AuthStack) -> Report {
        guard let paths = StackSimulation(stack: stack).paths() else {
            return Report(problems: [StackProblem(location: stack.entries.first?.location,
                                                  reason: "the auth stack is too complex to check (more than \(StackSimulation.stateLimit) states)")],
                          notes: [], canSucceed: true)
        }
        let entries = stack.entries
        let canSucceed = paths.contains { $0.succeeded }
        let hasModule = entries.contains { $0.role.isCheck || $0.role == .split }
        guard hasModule else { return Report(problems: [], notes: [], canSucceed: canSucceed) }
        let hasPassword = entries.contains { $0.role == .password }
        var problems: [StackProblem] = []
        var notes: [String] = []
        func add(_ index: Int?, _ reason: String) {
            let problem = StackProblem(location: index.map { entries[$0].location }, reason: reason)
            if !problems.contains(problem) { problems.append(problem) }
        }
        func describe(_ index: Int) -> String {
            guard case .module(let line, _) = entries[index].kind else { return entries[index].location.description }
            return "\(entries[index].location) (\(line.control) \(line.moduleFileName))"
        }
        if !hasPassword {
            notes.append("no password module in the auth stack: the code is the only factor it checks; the service must check another one first (sshd: AuthenticationMethods publickey,keyboard-interactive)")
        }
        for path in paths {
            let facts = path.facts
            if hasPassword, let check = facts.checkBeforePassword {
                if let password = facts.passwordRefusedAt,
                   let substack = enclosingSubstack(of: password, atLevel: entries[check].level, in: entries) {
                    add(substack, "a substack ends only itself on a wrong password: the module at \(describe(check)) still checks a code and counts a failure; use 'include' here")
                } else if let password = facts.passwordRefusedAt {
                    add(password, "a wrong password does not end the stack here: the module at \(describe(check)) still checks a code and counts a failure; the password line must be 'requisite' (or an include whose failure ends the stack) and come before the module")
                } else {
                    add(check, "the module can run before any password module accepted the password; put it after the password module")
                }
            }
            if hasPassword, path.succeeded, let password = facts.passwordRefusedAt, !facts.passwordAccepted {
                add(password, "a wrong password here does not stop the login: the stack can still succeed ('\(controlText(entries[password]))' does not end it)")
            }
            if path.succeeded, let check = facts.checkFailedAt {
                add(check, "a failure of the module does not fail the stack: \(overrideReason(entries[check]))")
            }
            if facts.passwordAccepted, !facts.checkRan, let skipper = facts.checkSkippedBy, entries[skipper].role == .password {
                add(skipper, "after a right password this line skips the module ('\(controlText(entries[skipper]))')")
            }
            if path.succeeded, facts.passwordAccepted, !facts.checkRan {
                if let skipper = facts.checkSkippedBy {
                    if entries[skipper].role == .password {
                        // Reported above.
                    } else if isUnconditional(entries[skipper]) {
                        add(skipper, "this line always skips the module: the password alone logs in")
                    } else {
                        let note = "\(describe(skipper)) lets some logins in without the code (on purpose, as in the admin recipes?)"
                        if !notes.contains(note) { notes.append(note) }
                    }
                } else if entries.contains(where: { $0.role.isCheck }) {
                    add(entries.firstIndex { $0.role.isCheck }, "after a right password the stack can succeed without reaching the module")
                }
            }
            if path.succeeded, let split = facts.splitPendingAt {
                add(split, "the code that split_answer keeps here is checked by no later 'use_first_pass' line on some path: the password alone logs in")
            }
        }
        let rightPasswordAndCode = paths.contains { $0.succeeded && $0.facts.checkSucceeded && $0.facts.checkFailedAt == nil }
        if hasPassword, entries.contains(where: { $0.role.isCheck }), !rightPasswordAndCode {
            add(entries.firstIndex { $0.role.isCheck }, "no login succeeds with the right password and the right code: the stack refuses everybody")
        }
        return Report(problems: problems, notes: notes, canSucceed: canSucceed)
    }

    /// The `substack` line at `level` that holds the line at `index`, if it is inside one.
    private static func enclosingSubstack(of index: Int, atLevel level: Int, in entries: [AuthStack.Entry]) -> Int? {
        guard entries[index].level > level else { return nil }
        return entries[..<index].lastIndex { entry in
            if case .substack = entry.kind { return entry.level == level }
            return false
        }
    }

    private static func controlText(_ entry: AuthStack.Entry) -> String {
        if case .module(let line, _) = entry.kind { return "\(line.control) \(line.moduleFileName)" }
        return entry.location.description
    }

    /// A line whose result is always the same, so a skip it makes is no decision.
    private static func isUnconditional(_ entry: AuthStack.Entry) -> Bool {
        guard case .module(let line, _) = entry.kind else { return true }
        return ["pam_permit.so", "pam_deny.so"].contains(line.moduleFileName)
    }

    /// Why a failed check did not fail the stack, for the message.
    private static func overrideReason(_ entry: AuthStack.Entry) -> String {
        guard case .module(let line, let control) = entry.kind else { return "its result is not used" }
        let failures: [PamReturn] = [.authErr, .authinfoUnavail, .serviceErr, .systemErr, .convErr]
        let actions = failures.map { control.action(for: $0) }
        if actions.contains(.ignore) { return "'\(line.control)' ignores it; make the line 'required'" }
        if actions.contains(where: { if case .jump = $0 { return true } else { return false } }) {
            return "'\(line.control)' jumps on a failure; make the line 'required'"
        }
        return "a later line resets or overrides it on some path"
    }
}

/// One broken rule: where, and why.
public struct StackProblem: Equatable, Sendable, CustomStringConvertible {
    /// The line, when one is to blame.
    public let location: AuthStack.Location?
    public let reason: String

    public var description: String {
        location.map { "\($0): \(reason)" } ?? reason
    }
}
