import Foundation
import TestSupport
import Testing
import TwoFactorCore

extension ModuleThroughLibPAM {
/// The state file through the real module with the clock far in the future: the module's
/// time(2) is answered by Tests/ClockPreload/fixed_clock.c (S2FA_TEST_CLOCK).
@Suite("A far-future clock through libpam")
struct FarFutureClockTests {
    /// The driver's items for a login at `clock`, with the clock library in front of pam_wrapper.
    static func at(_ clock: Int64, preload: String) -> [String: String] {
        ["LD_PRELOAD": "\(preload) libpam_wrapper.so", "S2FA_TEST_CLOCK": String(clock)]
    }

    @Test("past 2^62 a failure writes a back-off the next logins read: throttled, then a later code accepted",
          arguments: [(Int64(1) << 62) + 15, Int64.max / 2 + 15, Int64.max - 86_400])
    func farFuture(clock: Int64) throws {
        let harness = try PAMHarness()
        let preload = try HardeningSupport.compilePreload(harness, source: "ClockPreload/fixed_clock.c")
        try harness.moduleOnly("throttle_after=1")
        let record = try harness.enroll("root")
        let code = { (time: Int64) in record.totp?.code(at: time) ?? "invalid" }

        let wrong = try harness.authenticate("root", answers: ["000000x"], items: Self.at(clock, preload: preload))
        #expect(wrong.outcome == "rejected", "\(wrong.logs)")
        let state = try harness.store.readState(user: "root")
        #expect(state.failures == 1)
        #expect(state.throttledUntil == clock + 30)

        let held = try harness.authenticate("root", answers: [code(clock + 10)], items: Self.at(clock + 10, preload: preload))
        #expect(held.result == PAM.authError)
        #expect(held.outcome == "throttled", "\(held.logs)")

        let later = try harness.authenticate("root", answers: [code(clock + 45)], items: Self.at(clock + 45, preload: preload))
        #expect(later.result == PAM.success, "\(later.logs)")
        #expect(later.outcome == "accepted-totp")
        #expect(try harness.store.readState(user: "root").throttledUntil == 0)
    }

    @Test("the clock library is in force: without S2FA_TEST_CLOCK the module's time is -1, before 1970, refused unchecked")
    func preloadInForce() throws {
        let harness = try PAMHarness()
        let preload = try HardeningSupport.compilePreload(harness, source: "ClockPreload/fixed_clock.c")
        try harness.moduleOnly()
        let record = try harness.enroll("root")
        let run = try harness.authenticate("root", answers: [AuthenticatorApp.code(record.secret, record.parameters)],
                                           items: ["LD_PRELOAD": "\(preload) libpam_wrapper.so"])
        #expect(run.result == PAM.authError)
        #expect(run.outcome == "throttled", "\(run.logs)")
    }
}
}
