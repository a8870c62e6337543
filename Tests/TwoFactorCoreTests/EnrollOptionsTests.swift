import Testing
@testable import TwoFactorCore

@Suite("Options of the enrollment at login")
struct EnrollOptionsTests {
    static func parsed(_ arguments: [String]) -> ModuleOptions? {
        try? ModuleOptions.parse(arguments)
    }

    @Test("enroll and enroll_group= set what they say; enroll_group= implies enroll")
    func effects() throws {
        #expect(ModuleOptions().enroll == false && ModuleOptions().enrollGroup == nil)
        let plain = try #require(Self.parsed(["enroll", "nullok"]))
        #expect(plain.enroll && plain.enrollGroup == nil && plain.nullok)
        let grouped = try #require(Self.parsed(["enroll_group=2fa rollout"]))
        #expect(grouped.enroll && grouped.enrollGroup == "2fa rollout")
        #expect(Self.parsed(["enroll", "enroll_group=staff", "try_first_pass"])?.enrollGroup == "staff")
    }

    @Test("combinations enrollment cannot honour are refused", arguments: [
        ["enroll", "secret=~/.swift-2fa"], ["enroll", "use_first_pass"], ["enroll", "split_answer"],
        ["enroll_group=staff", "secret=/etc/2fa/${USER}"], ["enroll_group="], ["enroll_group=a/b"],
        ["enroll=yes"], ["enroll", "enroll"],
    ])
    func refused(arguments: [String]) {
        #expect(Self.parsed(arguments) == nil, "\(arguments) was accepted")
    }
}
