import PAMStack
import Testing

/// `pam require` and `pam allow-unenrolled`'s edit: `nullok` off or on the module's lines,
/// every other byte kept.
@Suite struct NullokEditTests {
    static let file = "#%PAM-1.0\n@include common-auth\n# the second factor, nullok for the rollout\nauth\trequired   pam_swift2fa.so nullok  window=2 # keep nullok here\n-auth required /lib/security/pam_swift2fa.so split_answer nullok\nauth required pam_unix.so nullok\n"

    @Test func nullokGoesFromTheModuleLinesOnly() throws {
        let edited = try #require(PamServiceFile(text: Self.file).settingNullok(allowed: false))
        #expect(edited.text == "#%PAM-1.0\n@include common-auth\n# the second factor, nullok for the rollout\nauth\trequired   pam_swift2fa.so  window=2 # keep nullok here\n-auth required /lib/security/pam_swift2fa.so split_answer\nauth required pam_unix.so nullok\n")
        #expect(edited.settingNullok(allowed: false) == edited, "a second time changes nothing")
        let back = try #require(edited.settingNullok(allowed: true))
        #expect(back.text == "#%PAM-1.0\n@include common-auth\n# the second factor, nullok for the rollout\nauth\trequired   pam_swift2fa.so  window=2 nullok # keep nullok here\n-auth required /lib/security/pam_swift2fa.so split_answer nullok\nauth required pam_unix.so nullok\n")
        #expect(back.settingNullok(allowed: true) == back)
        #expect(back.logicalLines.filter { $0.line.loadsModule }.allSatisfy { $0.line.arguments.contains("nullok") })
    }

    @Test func aLineWithoutArgumentsGetsNullok() throws {
        let edited = try #require(PamServiceFile(text: "auth required pam_swift2fa.so").settingNullok(allowed: true))
        #expect(edited.text == "auth required pam_swift2fa.so nullok")
    }

    @Test func noModuleLineOrAContinuedOneIsLeftToTheAdmin() {
        #expect(PamServiceFile(text: "auth required pam_unix.so nullok\n").settingNullok(allowed: false) == nil)
        #expect(PamServiceFile(text: "# auth required pam_swift2fa.so nullok\n").settingNullok(allowed: false) == nil)
        #expect(PamServiceFile(text: "auth required \\\n  pam_swift2fa.so nullok\n").settingNullok(allowed: false) == nil)
    }
}
