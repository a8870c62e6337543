import Glibc
import TwoFactorCore
import TwoFactorStore

/// `import --pam-oath FILE`: pam_oath's users file (`OATHUsersFile`), each line a credential
/// of its user, labelled `oath-line-N`.
enum PamOathImport {
    /// One plan per user of the file (or only `onlyUser`), in the order of their first line,
    /// and the file's findings (PINs, last codes not found) for those users. A malformed
    /// line anywhere, or a user without a passwd entry, refuses the whole file, naming the lines.
    static func plans(path: String, onlyUser: String?, options: UserOptions,
                      mode: ImportMode) throws(SetupFailure) -> (plans: [ImportPlan], findings: [String]) {
        let text = try RootImportFile.text(path, what: "users.oath file", maximumSize: OATHUsersFile.maximumSize)
        let now = Enrollment.now()
        let file: OATHUsersFile
        do throws(OATHUsersFile.ParseError) {
            file = try OATHUsersFile.parse(text, now: now, utcOffset: localUTCOffset(at: now))
        } catch {
            throw .usage("cannot import \(path): " + error.problems.map(\.description).joined(separator: "; "))
        }
        var users: [String] = []
        var linesOf: [String: [OATHUsersFile.Entry]] = [:]
        for entry in file.entries where onlyUser.map({ $0 == entry.user }) ?? true {
            if linesOf[entry.user] == nil { users.append(entry.user) }
            linesOf[entry.user, default: []].append(entry)
        }
        if users.isEmpty, let onlyUser { throw .usage("no line of \(path) is for \(onlyUser)") }
        var plans: [ImportPlan] = []
        for user in users {
            let entries = linesOf[user] ?? []
            let lines = "line" + (entries.count > 1 ? "s " : " ") + entries.map { String($0.line) }.joined(separator: ", ")
            let target: ManagedUser
            do throws(SetupFailure) {
                target = try ManagedUser.resolve(requestedUser: user, configPath: options.files.config,
                                                 storeDirectory: options.files.store, secretTemplate: options.secretFile)
            } catch {
                throw SetupFailure(error.kind, "\(lines) of \(path): \(error.message)")
            }
            plans.append(ImportPlan(target: target,
                                    keys: entries.map { ImportPlan.Key(origin: "line \($0.line)", key: $0.credential) },
                                    scratchCodes: [], mode: mode))
        }
        let selected = Set(file.entries.filter { linesOf[$0.user] != nil }.map(\.line))
        let findings = file.findings.filter { $0.line.map(selected.contains) ?? true }.map(\.description)
        return (plans, findings)
    }

    /// The offset east of UTC of the local time zone at `time`, in seconds: pam_oath writes
    /// the times of last codes in local time.
    private static func localUTCOffset(at time: Int64) -> Int {
        var seconds = time_t(time)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return 0 }
        return Int(parts.tm_gmtoff)
    }
}
