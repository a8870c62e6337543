import PAMStack
import Testing

/// Parsing PAM lines and controls as libpam does, the files' edits, and the service facts.
@Suite struct ServiceFileTests {
    @Test func controlsBecomeLibpamsTables() throws {
        let required = try #require(PamControl("required"))
        #expect(required.action(for: .success) == .ok && required.action(for: .authErr) == .bad && required.action(for: .ignore) == .ignore)
        let requisite = try #require(PamControl("Requisite"))
        #expect(requisite.action(for: .userUnknown) == .die)
        let sufficient = try #require(PamControl("sufficient"))
        #expect(sufficient.action(for: .success) == .done && sufficient.action(for: .authErr) == .ignore)
        let optional = try #require(PamControl("optional"))
        #expect(optional.action(for: .authErr) == .ignore)
        let jump = try #require(PamControl("[success=1 default=ignore]"))
        #expect(jump.action(for: .success) == .jump(1) && jump.action(for: .authErr) == .ignore)
        // Unnamed values without a default are bad.
        let partial = try #require(PamControl("[success=ok ignore=ignore]"))
        #expect(partial.action(for: .authErr) == .bad)
        // A malformed bracket or an unknown word makes every value bad.
        for text in ["[success=0]", "[succes=ok]", "[success=maybe]", "mandatory"] {
            let control = try #require(PamControl(text))
            #expect(control.action(for: .success) == .bad, "\(text)")
        }
        #expect(PamControl("include") == nil && PamControl("substack") == nil)
    }

    @Test func logicalLinesFollowLibpam() {
        let file = PamServiceFile(text: "# comment\nauth required pam_unix.so # trailing\nauth [success=1 \\\n  default=ignore] pam_x.so arg\n\n@include common-auth\n")
        let lines = file.logicalLines
        #expect(lines.map(\.index) == [1, 2, 5])
        #expect(lines[0].line.arguments.isEmpty)
        #expect(lines[1].line.control == "[success=1    default=ignore]" || lines[1].line.control.hasPrefix("[success=1"))
        #expect(lines[1].line.module == "pam_x.so" && lines[1].line.arguments == ["arg"])
        #expect(lines[2].line.includedFile == "common-auth")
        #expect(file.text == "# comment\nauth required pam_unix.so # trailing\nauth [success=1 \\\n  default=ignore] pam_x.so arg\n\n@include common-auth\n")
    }

    @Test func theCommentedModuleIsNotActive() {
        #expect(PamServiceFile(text: "#auth required pam_swift2fa.so\nauth requisite pam_unix.so\n").moduleLineIndex == nil)
        #expect(PamServiceFile(text: "auth requisite pam_unix.so\nauth required /opt/x/pam_swift2fa.so\n").moduleLineIndex == 1)
    }

    @Test func servicesThatNeverAuthenticate() {
        var files = StackFixtures.debian
        files["other"] = StackFixtures.otherDenying
        #expect(!ServiceFacts.authenticates("cron", report: StackFixtures.report("cron", in: files)))
        #expect(!ServiceFacts.authenticates("other", report: StackFixtures.report("other", in: files)))
        #expect(ServiceFacts.authenticates("other", report: StackFixtures.report("other", in: StackFixtures.debian)))
        #expect(ServiceFacts.authenticates("sudo", report: StackFixtures.report("sudo", in: files)))
        #expect(ServiceFacts.companions["sudo"] == ["sudo-i"])
    }

    @Test func aChrootHasNoRootMount() {
        let host = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n23 22 0:21 / /proc rw - proc proc rw\n"
        #expect(MountTable(text: host).rootIsMountPoint)
        let chroot = "23 22 0:21 / /proc rw - proc proc rw\n30 22 8:1 /srv/c/etc /etc rw - ext4 /dev/sda1 rw\n"
        #expect(!MountTable(text: chroot).rootIsMountPoint)
        #expect(!MountTable(text: "").rootIsMountPoint)
    }
}
