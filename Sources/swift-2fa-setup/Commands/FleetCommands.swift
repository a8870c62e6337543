import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

// The commands in fleet mode: the configuration file names a database (`ManagedUser.fleet`), so
// each command acts there, with the output and exit statuses it has with files. Reading a
// status, reset, unlock, new backup codes and replacing an enrollment need the admin role
// in the file's connection string; `verify` works with a server role too, and so do
// `enroll --pending` (a user not yet enrolled, and no pending enrollment the admin started)
// and `confirm` when the role has the enrollment right (`db grant-server ROLE --enroll`).
// The secret of a new enrollment is made here and sent once; nothing is read back.

extension ManagedUser {
    /// The fleet outcome as the file store's, for the shared refusal messages.
    fileprivate func refusal(for verification: LoginVerification) -> SetupFailure {
        switch verification.outcome {
        case .acceptedTOTP, .acceptedBackup, .rejected, .enrollmentChanged: return refusal(for: VerificationOutcome.rejected)
        case .replayed: return refusal(for: VerificationOutcome.replayed)
        case .throttled: return refusal(for: VerificationOutcome.throttled(until: verification.throttledUntil))
        case .locked: return refusal(for: VerificationOutcome.locked)
        case .notEnrolled: return SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
    }

    /// Exit status 2 when the user has no active enrollment in the database.
    fileprivate func requireFleetEnrollment(_ fleet: FleetStore) throws(SetupFailure) {
        guard try fleetCall({ () throws(FleetError) in try fleet.hasEnrollment(user: user) }) else {
            throw SetupFailure(.notEnrolled, "\(user) is not enrolled")
        }
    }

    /// Checks `answer` in the database as a login would (and uses it up).
    fileprivate func fleetVerify(_ fleet: FleetStore, _ answer: String) throws(SetupFailure) -> LoginVerification {
        try fleetCall { () throws(FleetError) in
            try fleet.verify(user: user, answer: answer, service: "swift-2fa-setup", rhost: nil)
        }
    }

    /// `authorize` in fleet mode: root naming `--user` needs no code; anyone else gives one.
    fileprivate func fleetAuthorize(_ fleet: FleetStore, code: String?) throws(SetupFailure) {
        guard let answer = try consentAnswer(code: code) else { return }
        let verification = try fleetVerify(fleet, answer)
        guard verification.outcome.isAccepted else { throw refusal(for: verification) }
    }

}

/// Runs `begin_pending` or `confirm_pending`: a role without the enrollment right is told
/// how the admin grants it.
private func fleetEnrollmentCall<Value>(_ body: () throws(FleetError) -> Value) throws(SetupFailure) -> Value {
    do throws(FleetError) {
        return try body()
    } catch where error.kind == .notAllowed {
        throw .io(error.description + "; this role may not enroll users: the admin grants it with "
                  + "'swift-2fa-setup db grant-server ROLE --enroll'")
    } catch {
        throw SetupFailure(error)
    }
}

/// Ten new backup codes to show; the database hashes and tags them with the secret it holds
/// (the local hashes, made with a throwaway key, are not used).
private func newFleetBackupCodes() throws(SetupFailure) -> [String] {
    guard let key = SecureRandom.bytes(NewEnrollment.secretLength) else {
        throw SetupFailure.io("the system random number generator failed")
    }
    return try Enrollment.newBackupCodes(secret: key).codes
}

extension ResetCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws(SetupFailure) {
        guard try fleetCall({ () throws(FleetError) in try fleet.reset(user: target.user) }) else {
            throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled; nothing to reset")
        }
        Output.line("removed the enrollment of \(target.user)")
    }
}

extension UnlockCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws(SetupFailure) {
        guard let before = try fleetCall({ () throws(FleetError) in try fleet.unlock(user: target.user) }) else {
            throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled")
        }
        Output.line("unlocked \(target.user) (had \(before.failures) failed attempts" + (before.locked ? ", was locked)" : ")"))
    }
}

extension StatusCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws {
        let status = try fleetCall { () throws(FleetError) in try fleet.status(user: target.user) }
        let enrolled = status.status == "enrolled"
        let report = StatusOutput(
            user: target.user, status: status.status, secretFile: "fleet database",
            algorithm: status.parameters?.algorithm.rawValue, digits: status.parameters?.digits,
            period: status.parameters?.period, created: status.created.map(Output.isoDate),
            backupCodesLeft: status.backupCodesLeft, backupCodesNeedRegeneration: enrolled ? false : nil,
            pendingUntil: status.pendingUntil.map(Output.isoDate), failures: status.failures,
            throttledUntil: status.throttledUntil.map(Output.isoDate), locked: status.locked)
        if json {
            try Output.json(report)
        } else {
            report.print()
        }
        if !enrolled { throw SetupFailure.reported(.notEnrolled) }
    }
}

extension VerifyCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws {
        let verification = try target.fleetVerify(fleet, code)
        if verification.outcome == .notEnrolled { throw target.refusal(for: verification) }
        if json {
            // The admin role may read how many backup codes are left; a server role may not.
            let left = try? fleet.status(user: target.user).backupCodesLeft
            try Output.json(VerifyOutput(
                user: target.user, accepted: verification.outcome.isAccepted, result: verification.outcome.rawValue,
                backupCodesLeft: left ?? nil,
                throttledUntil: verification.outcome == .throttled ? Output.isoDate(verification.throttledUntil) : nil))
        }
        guard verification.outcome.isAccepted else { throw target.refusal(for: verification) }
        if !json {
            Output.line(verification.outcome == .acceptedBackup ? "accepted: backup code (now used up)" : "accepted")
        }
    }
}

extension DisableCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws(SetupFailure) {
        try target.requireFleetEnrollment(fleet)
        try target.fleetAuthorize(fleet, code: code)
        guard try fleetCall({ () throws(FleetError) in try fleet.reset(user: target.user) }) else {
            throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled")
        }
        Output.line("two-factor authentication is now off for \(target.user)")
    }
}

extension BackupCodesCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws {
        guard regenerate else {
            let status = try fleetCall { () throws(FleetError) in try fleet.status(user: target.user) }
            guard status.status == "enrolled", let left = status.backupCodesLeft else {
                throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled")
            }
            if json {
                try Output.json(BackupCodesLeftOutput(user: target.user, backupCodesLeft: left))
            } else {
                Output.line("\(target.user) has \(left) unused backup codes; "
                            + "'swift-2fa-setup backup-codes --regenerate' makes new ones")
            }
            return
        }
        try target.requireFleetEnrollment(fleet)
        try target.fleetAuthorize(fleet, code: code)
        let codes = try newFleetBackupCodes()
        guard try fleetCall({ () throws(FleetError) in try fleet.regenerateBackupCodes(user: target.user, codes: codes) }) else {
            throw SetupFailure(.notEnrolled, "\(target.user) is not enrolled")
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: target.user, backupCodes: codes))
        } else {
            EnrollmentDisplay.showBackupCodes(codes)
        }
    }
}

extension EnrollCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws(SetupFailure) {
        let enrolled = try fleetCall { () throws(FleetError) in try fleet.hasEnrollment(user: target.user) }
        if enrolled && !force { throw .usage("\(target.user) is already enrolled; use --force to replace the enrollment") }
        if enrolled && pending {
            throw .usage("in fleet mode a pending enrollment cannot replace an active one; "
                         + "use 'enroll --force' without --pending, or 'reset' first")
        }
        let now = Enrollment.now()
        let (record, display) = try newSecret(target: target, now: now)
        if pending {
            let until = try fleetEnrollmentCall { () throws(FleetError) in
                try fleet.beginPending(user: target.user, secret: record.secret, parameters: record.parameters)
            }
            try announcePending(record, display: display, expires: Output.isoDate(until), target: target)
            return
        }
        let step = try showAndConfirm(record, display: display)
        let codes = try newFleetBackupCodes()
        try fleetCall { () throws(FleetError) in
            try fleet.enroll(user: target.user, secret: record.secret, parameters: record.parameters, lastStep: step,
                             backupCodes: codes, replace: force)
        }
        Output.line()
        Output.line("Two-factor authentication is now active for \(target.user).")
        Output.line()
        EnrollmentDisplay.showBackupCodes(codes)
    }
}

extension ConfirmCommand {
    func runFleet(_ target: ManagedUser, _ fleet: FleetStore) throws {
        let codes = try newFleetBackupCodes()
        let result = try fleetEnrollmentCall { () throws(FleetError) in
            try fleet.confirmPending(user: target.user, code: code, backupCodes: codes, replace: force)
        }
        switch result {
        case .accepted:
            break
        case .rejected:
            throw SetupFailure(.refused, "wrong code; the enrollment of \(target.user) is still pending")
        case .notPending:
            throw SetupFailure(.notEnrolled, "nothing is pending for \(target.user); start with 'swift-2fa-setup enroll --pending'")
        case .expired:
            throw SetupFailure(.notEnrolled, "the pending enrollment of \(target.user) expired; "
                               + "start again with 'swift-2fa-setup enroll --pending'")
        }
        if json {
            try Output.json(NewBackupCodesOutput(user: target.user, backupCodes: codes))
        } else {
            Output.line("Two-factor authentication is now active for \(target.user).")
            Output.line()
            EnrollmentDisplay.showBackupCodes(codes)
        }
    }
}
