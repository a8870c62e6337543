import Foundation
import Glibc
import TestSupport
import Testing
@testable import TwoFactorStore

/// Which programs root may run as the event hook (`TrustedPath.programProblem`).
@Suite(.requiresRoot("the files must be owned by root and by another user"))
struct TrustedPathTests {
    @Test("a root-owned program that only root can change is trusted; every weaker one is refused")
    func programs() throws {
        let directory = try TemporaryDirectory("s2fa-trust", mode: 0o755)
        let program = directory.path + "/hook"
        try directory.write("#!/bin/sh\n", to: "hook", mode: 0o755)
        #expect(TrustedPath.programProblem(program) == nil, "below sticky /tmp, in a root-owned 0755 directory")

        #expect(chmod(program, 0o775) == 0)
        #expect(TrustedPath.programProblem(program)?.contains("writable by group or others") == true)
        #expect(chmod(program, 0o644) == 0)
        #expect(TrustedPath.programProblem(program)?.contains("not executable") == true)
        #expect(chmod(program, 0o755) == 0 && chown(program, 65534, 65534) == 0)
        #expect(TrustedPath.programProblem(program)?.contains("owned by uid 65534") == true)
        #expect(chown(program, 0, 0) == 0)

        #expect(symlink(program, directory.path + "/link") == 0)
        #expect(TrustedPath.programProblem(directory.path + "/link")?.contains("not a regular file") == true)
        #expect(TrustedPath.programProblem("relative/hook") != nil)
        #expect(TrustedPath.programProblem(directory.path + "/../hook") != nil)
        #expect(TrustedPath.programProblem(directory.path + "/missing")?.contains("missing") == true)

        #expect(chmod(directory.path, 0o777) == 0)
        #expect(TrustedPath.programProblem(program)?.contains("writable by others") == true, "a world-writable directory")
        #expect(chmod(directory.path, 0o755) == 0 && chown(directory.path, 65534, 65534) == 0)
        #expect(TrustedPath.programProblem(program)?.contains("not owned by root") == true)
        #expect(chown(directory.path, 0, 0) == 0)
        #expect(TrustedPath.programProblem(program) == nil)
    }
}
