/// Runs an auth stack the way libpam's `_pam_dispatch_aux` does, for every combination of
/// module results, and records what happened on each path that matters to the second
/// factor. Pure: no module is loaded, no file read.
///
/// A module's possible results: the password module (`ModuleRole.password`) succeeds or
/// fails with any failure code (pam_unix.so never answers ignore); pam_swift2fa.so
/// answers what it really can (success, ignore with `nullok` or `split_answer`, and its
/// five failure codes); `pam_deny.so` always fails and `pam_permit.so` always succeeds;
/// every other module may give any return value. Results that the line's control treats
/// alike are explored once.
struct StackSimulation {
    let stack: AuthStack

    /// libpam's "impression" of the stack so far.
    enum Impression: Hashable { case undefined, positive, negative }

    /// The facts of one path that the rules look at.
    struct Facts: Hashable {
        /// Some password module returned success.
        var passwordAccepted = false
        /// The last password module that failed, while none had succeeded.
        var passwordRefusedAt: Int?
        /// The first checking line that ran before any password module succeeded, with the
        /// password line that had failed before it, if any.
        var checkBeforePassword: Int?
        var checkRan = false
        var checkFailedAt: Int?
        var checkSucceeded = false
        /// The `split_answer` line that kept a code no later `use_first_pass` line took.
        var splitPendingAt: Int?
        /// The line whose jump or early end skipped a checking line first.
        var checkSkippedBy: Int?
    }

    struct State: Hashable {
        var index = 0
        var impression = Impression.undefined
        var status = PamReturn.permDenied
        var saved: [Int: SavedState] = [0: SavedState(impression: .undefined, status: .permDenied)]
        var previousLevel = 0
        var facts = Facts()
    }

    struct SavedState: Hashable {
        var impression: Impression
        var status: PamReturn
    }

    /// One finished path: its facts, and whether the stack succeeded.
    struct Path {
        let facts: Facts
        let succeeded: Bool
    }

    /// Bound on distinct states, far above any real stack (a Debian login stack has a
    /// few hundred).
    static let stateLimit = 200_000

    /// Every distinct path end; nil when the stack has more states than `stateLimit`.
    func paths() -> [Path]? {
        var seen: Set<State> = []
        var work: [State] = [State()]
        var ends: [Path] = []
        while let state = work.popLast() {
            guard seen.insert(state).inserted else { continue }
            guard seen.count <= Self.stateLimit else { return nil }
            guard state.index < stack.entries.count else {
                let succeeded = state.status == .success && state.impression == .positive
                ends.append(Path(facts: state.facts, succeeded: succeeded))
                continue
            }
            let entry = stack.entries[state.index]
            var next = state
            if next.previousLevel < entry.level {
                next.saved[entry.level] = SavedState(impression: next.impression, status: next.status)
            }
            switch entry.kind {
            case .substack:
                next.previousLevel = entry.level
                next.index += 1
                work.append(next)
            case .broken:
                work.append(apply(.permDenied, action: .bad, to: next))
            case .module(let line, let control):
                var explored: Set<[String]> = []
                for result in Self.results(of: entry.role, module: line.moduleFileName) {
                    let action = control.action(for: result)
                    let kind = result == .success ? "s" : result == .ignore ? "i" : "f"
                    guard explored.insert([kind, "\(action)"]).inserted else { continue }
                    var called = next
                    record(result, of: entry.role, at: state.index, in: &called.facts)
                    work.append(apply(result, action: action, to: called))
                }
            }
        }
        return ends
    }

    /// What a module can return.
    static func results(of role: ModuleRole, module: String) -> [PamReturn] {
        let failures = PamReturn.allCases.filter { $0.isFailure && $0 != .incomplete }
        switch role {
        case .password:
            // new_authtok_reqd is a right password that must be changed, not a wrong one.
            return [.success] + failures.filter { $0 != .newAuthtokReqd } + (module == "pam_unix.so" ? [] : [.ignore])
        case .check(_, let nullok):
            return [.success, .authErr, .authinfoUnavail, .serviceErr, .systemErr, .convErr] + (nullok ? [.ignore] : [])
        case .split:
            return [.ignore, .authinfoUnavail, .serviceErr, .systemErr, .convErr]
        case .other:
            switch module {
            case "pam_deny.so": return [.authErr]
            case "pam_permit.so": return [.success]
            default: return [.success, .ignore] + failures
            }
        }
    }

    private func record(_ result: PamReturn, of role: ModuleRole, at index: Int, in facts: inout Facts) {
        switch role {
        case .password:
            if result == .success {
                facts.passwordAccepted = true
                facts.passwordRefusedAt = nil
            } else if !facts.passwordAccepted {
                facts.passwordRefusedAt = index
            }
        case .check(let firstPass, _):
            if !facts.passwordAccepted && facts.checkBeforePassword == nil { facts.checkBeforePassword = index }
            if firstPass { facts.splitPendingAt = nil }
            facts.checkRan = true
            if result == .success { facts.checkSucceeded = true }
            if result.isFailure && facts.checkFailedAt == nil { facts.checkFailedAt = index }
        case .split:
            if result == .ignore { facts.splitPendingAt = index }
        case .other:
            break
        }
    }

    /// libpam's reaction to one result (the `switch (action)` of `_pam_dispatch_aux`),
    /// then the move to the next line.
    private func apply(_ result: PamReturn, action: PamAction, to state: State) -> State {
        var state = state
        let level = stack.entries[state.index].level
        var last = state.index
        var decided = false
        switch action {
        case .reset:
            let saved = state.saved[level] ?? SavedState(impression: .undefined, status: .permDenied)
            state.impression = saved.impression
            state.status = saved.status
        case .ok, .done:
            if state.impression == .undefined || (state.impression == .positive && state.status == .success) {
                state.impression = .positive
                state.status = result
            }
            if state.impression == .positive && action == .done { decided = true }
        case .bad, .die:
            if state.impression != .negative {
                state.impression = .negative
                state.status = result == .ignore ? .permDenied : result
            }
            if action == .die { decided = true }
        case .ignore:
            break
        case .jump(let count):
            var remaining = count
            let entries = stack.entries
            while last + 1 < entries.count && entries[last + 1].level >= level && remaining > 0 {
                repeat { last += 1 } while last + 1 < entries.count && entries[last + 1].level > level
                remaining -= 1
            }
            if remaining > 0 {
                state.impression = .negative
                state.status = .permDenied
            }
        }
        if decided {
            while last + 1 < stack.entries.count && stack.entries[last + 1].level >= level { last += 1 }
        }
        if state.facts.checkSkippedBy == nil,
           stack.entries[(state.index + 1)..<(last + 1)].contains(where: { $0.role.isCheck }) {
            state.facts.checkSkippedBy = state.index
        }
        state.previousLevel = level
        state.index = last + 1
        return state
    }
}
