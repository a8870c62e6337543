/// What the second factor needs from sshd, decided from its effective settings (`sshd -T`):
/// `UsePAM yes`, `KbdInteractiveAuthentication yes`, and an `AuthenticationMethods` whose
/// every usable list holds keyboard-interactive, so that no login skips the PAM
/// conversation that asks for the code.
enum SshSetupRules {
    /// The keyword that switches each authentication method on.
    static let methodSwitches = [
        "publickey": "pubkeyauthentication",
        "password": "passwordauthentication",
        "keyboard-interactive": "kbdinteractiveauthentication",
        "hostbased": "hostbasedauthentication",
        "gssapi-with-mic": "gssapiauthentication",
    ]
    /// Methods that log in without running the PAM auth stack at all.
    static let methodsWithoutPAM: Set<String> = ["publickey", "hostbased", "gssapi-with-mic"]
    /// The keywords the rules read.
    static let keywords: Set<String> = Set(["usepam", "authenticationmethods"] + methodSwitches.values)

    /// The findings for one set of effective settings, in the order of the rules.
    static func findings(_ settings: SshdSettings) -> [SshFinding] {
        var findings: [SshFinding] = []
        if settings["usepam"] != "yes" {
            findings.append(SshFinding(rule: .usePAM, severity: .problem, keywords: ["usepam"],
                                       message: "UsePAM is '\(settings["usepam"])': sshd never runs the PAM stack, so the code is never asked"))
        }
        if settings["kbdinteractiveauthentication"] != "yes" {
            findings.append(SshFinding(rule: .keyboardInteractive, severity: .problem, keywords: ["kbdinteractiveauthentication"],
                                       message: "KbdInteractiveAuthentication is '\(settings["kbdinteractiveauthentication"])': "
                                           + "sshd cannot let PAM ask for the code"))
        }
        let methods = settings["authenticationmethods"]
        let withoutCode = usableLists(settings).filter { !$0.contains(where: isPAMKeyboardInteractive) }
        guard !withoutCode.isEmpty else { return findings }
        let names = withoutCode.map { "'\($0.joined(separator: ","))'" }.joined(separator: ", ")
        let switches = { (lists: [[String]]) in
            Array(Set(lists.flatMap { $0 }.compactMap { methodSwitches[methodName($0)] })).sorted()
        }
        let how = methods == "any"
            ? "AuthenticationMethods is 'any' (one method is enough): \(names) \(withoutCode.count == 1 ? "logs" : "log") in"
            : "AuthenticationMethods '\(methods)' lets \(names) log in"
        findings.append(SshFinding(rule: .methods, severity: .problem,
                                   keywords: ["authenticationmethods"] + (methods == "any" ? switches(withoutCode) : []),
                                   message: how + " without keyboard-interactive, so without the code"))
        let bypassing = withoutCode.filter { $0.allSatisfy { methodsWithoutPAM.contains(methodName($0)) } }
        if !bypassing.isEmpty {
            let what = bypassing.contains(["publickey"]) ? "public-key login bypasses PAM" : "a login bypasses PAM"
            findings.append(SshFinding(rule: .bypass, severity: .warning,
                                       keywords: ["authenticationmethods"] + switches(bypassing),
                                       message: "\(what): \(bypassing.map { "'\($0.joined(separator: ","))'" }.joined(separator: ", ")) "
                                           + "\(bypassing.count == 1 ? "logs" : "log") in without the PAM stack ever running"))
        }
        return findings
    }

    /// The AuthenticationMethods lists sshd can satisfy: every method in them switched on.
    /// `any` is one list per method switched on.
    static func usableLists(_ settings: SshdSettings) -> [[String]] {
        let enabled = { (method: String) in
            methodSwitches[methodName(method)].map { settings[$0] == "yes" } ?? false
        }
        let methods = settings["authenticationmethods"]
        if methods == "any" || methods.isEmpty {
            return methodSwitches.keys.sorted().filter(enabled).map { [$0] }
        }
        return methods.split(separator: " ")
            .map { $0.split(separator: ",").map(String.init) }
            .filter { $0.allSatisfy(enabled) }
    }

    /// `keyboard-interactive:pam` is `keyboard-interactive`.
    private static func methodName(_ method: String) -> String {
        String(method.prefix { $0 != ":" })
    }

    /// keyboard-interactive through PAM (no submethod, or `:pam`).
    private static func isPAMKeyboardInteractive(_ method: String) -> Bool {
        method == "keyboard-interactive" || method == "keyboard-interactive:pam"
    }
}
