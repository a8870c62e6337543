/// The return values a PAM module can give, in libpam's order (`_pam_token_returns`), and
/// the actions a control field maps them to. A control is either one of the words
/// (`required`, `requisite`, `sufficient`, `optional`) or a bracket such as
/// `[success=1 default=ignore]`; both become one action per return value, as libpam's
/// `_pam_parse_conf_file` builds them.
public enum PamReturn: Int, CaseIterable, Sendable {
    case success, openErr, symbolErr, serviceErr, systemErr, bufErr, permDenied, authErr
    case credInsufficient, authinfoUnavail, userUnknown, maxtries, newAuthtokReqd, acctExpired
    case sessionErr, credUnavail, credExpired, credErr, noModuleData, convErr, authtokErr
    case authtokRecoverErr, authtokLockBusy, authtokDisableAging, tryAgain, ignore, abort
    case authtokExpired, moduleUnknown, badItem, convAgain, incomplete

    /// The names a bracket control uses (`auth_err`, `user_unknown`, ...), by raw value.
    static let names = [
        "success", "open_err", "symbol_err", "service_err", "system_err", "buf_err", "perm_denied", "auth_err",
        "cred_insufficient", "authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd", "acct_expired",
        "session_err", "cred_unavail", "cred_expired", "cred_err", "no_module_data", "conv_err", "authtok_err",
        "authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again", "ignore", "abort",
        "authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete",
    ]

    /// Whether this value is a failure (neither success nor ignore).
    public var isFailure: Bool { self != .success && self != .ignore }
}

/// What libpam does with one module's return value.
public enum PamAction: Hashable, Sendable {
    case ignore, ok, done, bad, die, reset
    /// Skip this many following lines of the same (sub)stack.
    case jump(Int)
}

/// One line's control field as a table from return value to action.
public struct PamControl: Hashable, Sendable {
    /// One action per `PamReturn`, indexed by its raw value.
    public let actions: [PamAction]

    public func action(for value: PamReturn) -> PamAction { actions[value.rawValue] }

    /// The control of a module line (`include` and `substack` are not module controls and
    /// give nil). An unknown word or a malformed bracket is, as in libpam, `bad` for every
    /// value.
    public init?(_ text: String) {
        let word = text.lowercased()
        if word == "include" || word == "substack" { return nil }
        var table = [PamAction?](repeating: nil, count: PamReturn.allCases.count)
        func set(_ value: PamReturn, _ action: PamAction) { table[value.rawValue] = action }
        func fillDefault(_ action: PamAction) {
            for index in table.indices where table[index] == nil { table[index] = action }
        }
        switch word {
        case "required":
            set(.success, .ok); set(.newAuthtokReqd, .ok); set(.ignore, .ignore); fillDefault(.bad)
        case "requisite":
            set(.success, .ok); set(.newAuthtokReqd, .ok); set(.ignore, .ignore); fillDefault(.die)
        case "optional":
            set(.success, .ok); set(.newAuthtokReqd, .ok); fillDefault(.ignore)
        case "sufficient":
            set(.success, .done); set(.newAuthtokReqd, .done); fillDefault(.ignore)
        default:
            if text.hasPrefix("["), text.hasSuffix("]"), let parsed = Self.parseBracket(String(text.dropFirst().dropLast())) {
                table = parsed
            }
            fillDefault(.bad)
        }
        actions = table.map { $0 ?? .bad }
    }

    /// `value=action` pairs; nil on any error (libpam then makes every value `bad`).
    private static func parseBracket(_ body: String) -> [PamAction?]? {
        var table = [PamAction?](repeating: nil, count: PamReturn.allCases.count)
        for pair in body.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let action: PamAction
            switch parts[1] {
            case "ignore": action = .ignore
            case "ok": action = .ok
            case "done": action = .done
            case "bad": action = .bad
            case "die": action = .die
            case "reset": action = .reset
            default:
                guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                      let count = Int(parts[1]), count > 0 else { return nil }
                action = .jump(count)
            }
            if parts[0] == "default" {
                for index in table.indices where table[index] == nil { table[index] = action }
            } else if let index = PamReturn.names.firstIndex(of: String(parts[0])) {
                table[index] = action
            } else {
                return nil
            }
        }
        return table
    }
}
