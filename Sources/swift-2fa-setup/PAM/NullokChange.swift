import PAMStack

/// Takes `nullok` off a service's module line (`pam require`) or puts it back (`pam
/// allow-unenrolled`), in the service's own file and its companions' (sudo-i for sudo), with
/// `pam enable`'s file handling: a backup (SERVICE.swift-2fa.bak, unless one is kept already),
/// an atomic replace, the new stack tried with pamtester unless `check` is false, and the old
/// file put back when the try fails or the command is interrupted.
struct NullokChange {
    /// True to put `nullok` back, false to take it off.
    let allowed: Bool
    let service: String
    let directory: PamDirectory
    let check: Bool

    /// One file to change.
    struct Plan {
        let service: String
        let original: String
        let edited: String
    }

    /// The files to change (none when they already are as asked, which is said); fails,
    /// changing nothing, when a file cannot be changed this way.
    func plans() throws(SetupFailure) -> [Plan] {
        var services = [service]
        for companion in ServiceFacts.companions[service] ?? [] where try directory.read(companion) != nil {
            services.append(companion)
        }
        var plans: [Plan] = []
        for name in services {
            if let plan = try plan(name) { plans.append(plan) }
        }
        return plans
    }

    /// Makes the changes `plans` gave.
    func apply(_ plans: [Plan]) throws(SetupFailure) {
        if check && !plans.isEmpty { try requireRootForPam(allowed ? "allow-unenrolled" : "require") }
        let deferral = SignalDeferral()
        defer { deferral.end() }
        for plan in plans {
            let backupName = plan.service + PamDirectory.backupSuffix
            if try directory.read(backupName) == nil {
                try directory.write(plan.original, to: backupName, likeFile: plan.service)
            }
            try directory.write(plan.edited, to: plan.service, likeFile: plan.service)
            Output.line("\(directory.file(plan.service)): \(allowed ? "added" : "removed") \(PamServiceFile.nullok) "
                        + "(backup: \(directory.file(backupName)))")
        }
        guard check && !plans.isEmpty else {
            if !plans.isEmpty { Output.line("not tried with pamtester (--no-check)") }
            return
        }
        guard PamStackCheck.tryEach(plans.map(\.service), pamDirectory: directory.path, deferral: deferral) else {
            for plan in plans { try putBack(plan) }
            throw SetupFailure.io(deferral.interrupted ? "interrupted; the files are as they were"
                                                       : "the new stack failed the check above; the files are as they were")
        }
    }

    /// The change to one file; nil when it needs none.
    private func plan(_ name: String) throws(SetupFailure) -> Plan? {
        let path = directory.file(name)
        guard let text = try directory.read(name) else { throw SetupFailure.io("\(path) does not exist") }
        guard let use = try directory.moduleUse(name) else {
            throw SetupFailure.io("\(path) does not ask for the code; run 'swift-2fa-setup pam enable \(name)' first")
        }
        guard use.via.isEmpty else {
            throw SetupFailure.io("\(name) loads \(PamServiceFile.moduleName) through \(use.via.joined(separator: " > ")); "
                                  + "change \(PamServiceFile.nullok) there (for common-auth: the pam-auth-update profile)")
        }
        guard let edited = PamServiceFile(text: text).settingNullok(allowed: allowed) else {
            throw SetupFailure.io("\(path): the \(PamServiceFile.moduleName) line is continued over several lines; change \(PamServiceFile.nullok) by hand")
        }
        guard edited.text != text else {
            Output.line("\(path): \(allowed ? "already has" : "already without") \(PamServiceFile.nullok); not changed")
            return nil
        }
        return Plan(service: name, original: text, edited: edited.text)
    }

    /// Writes the original back and checks it took.
    private func putBack(_ plan: Plan) throws(SetupFailure) {
        let path = directory.file(plan.service)
        do throws(SetupFailure) {
            try directory.write(plan.original, to: plan.service, likeFile: plan.service)
            guard try directory.read(plan.service) == plan.original else { throw SetupFailure.io("contents differ") }
        } catch {
            throw SetupFailure.io("COULD NOT restore \(path) (\(error.message)): copy \(directory.file(plan.service + PamDirectory.backupSuffix)) over it by hand")
        }
        Output.line("restored \(path); it is as it was before")
    }
}
