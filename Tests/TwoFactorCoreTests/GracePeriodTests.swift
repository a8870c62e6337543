import Testing
@testable import TwoFactorCore

/// grace_period= and grace_key=: the place a grace is keyed on, its age, and its record in
/// the state file.
@Suite("Grace period")
struct GracePeriodTests {
    @Test("the key: rhost (the terminal when there is none, as for sudo), rhost+tty, tty; none without a place")
    func keys() {
        let rhost = GracePeriod(seconds: 60, key: .rhost)
        #expect(rhost.keyText(rhost: "192.0.2.7", tty: "ssh") == "rhost 192.0.2.7")
        #expect(rhost.keyText(rhost: nil, tty: "/dev/pts/3") == "tty /dev/pts/3")
        #expect(rhost.keyText(rhost: "", tty: "") == nil && rhost.keyText(rhost: nil, tty: nil) == nil)
        let both = GracePeriod(seconds: 60, key: .rhostAndTTY)
        #expect(both.keyText(rhost: "192.0.2.7", tty: "/dev/pts/3") == "rhost 192.0.2.7 tty /dev/pts/3")
        #expect(both.keyText(rhost: nil, tty: "/dev/pts/3") == "tty /dev/pts/3")
        #expect(both.keyText(rhost: "192.0.2.7", tty: nil) == "rhost 192.0.2.7")
        let tty = GracePeriod(seconds: 60, key: .tty)
        #expect(tty.keyText(rhost: "192.0.2.7", tty: nil) == nil && tty.keyText(rhost: "x", tty: "tty1") == "tty tty1")
    }

    @Test("a grace covers ages from 0 to the period, not beyond, not a negative age, not a period of 0")
    func covers() {
        let grace = GracePeriod(seconds: 300)
        #expect(grace.covers(age: 0) && grace.covers(age: 299))
        #expect(!grace.covers(age: 300) && !grace.covers(age: -1))
        #expect(!GracePeriod(seconds: 0).covers(age: 0))
    }

    @Test("an accepted code records the grace and the time; a backup code, a refusal or no key record none")
    func recording() {
        let state = UserState()
        let code = state.recordingLogin(.acceptedTOTP(step: 9), at: 1000, service: "sudo", graceKey: "tty /dev/pts/3")
        #expect(code.graces == [GraceRecord(service: "sudo", key: "tty /dev/pts/3", time: 1000)] && code.lastAccepted == 1000)
        #expect(code.graceAge(service: "sudo", key: "tty /dev/pts/3", now: 1042) == 42)
        #expect(code.graceAge(service: "sshd", key: "tty /dev/pts/3", now: 1042) == nil)
        #expect(code.graceAge(service: "sudo", key: "tty /dev/pts/4", now: 1042) == nil)
        let backup = state.recordingLogin(.acceptedBackup, at: 1000, service: "sudo", graceKey: "tty /dev/pts/3")
        #expect(backup.graces.isEmpty && backup.lastAccepted == 1000)
        #expect(state.recordingLogin(.rejected, at: 1000, service: "sudo", graceKey: "k") == state)
        #expect(state.recordingLogin(.acceptedTOTP(step: 9), at: 1000, service: "sudo", graceKey: nil).graces.isEmpty)
        // The same place again replaces; the newest 16 are kept; an overlong one is not kept.
        var many = code.recordingLogin(.acceptedTOTP(step: 10), at: 2000, service: "sudo", graceKey: "tty /dev/pts/3")
        #expect(many.graces == [GraceRecord(service: "sudo", key: "tty /dev/pts/3", time: 2000)])
        for index in 0..<20 { many = many.recordingGrace(service: "s\(index)", key: "k", time: Int64(index)) }
        #expect(many.graces.count == GracePeriod.maximumRecords && many.graces.last?.service == "s19")
        #expect(many.recordingGrace(service: String(repeating: "x", count: 257), key: "k", time: 1) == many)
        #expect(many.recordingGrace(service: "s", key: String(repeating: "k", count: 513), time: 1) == many)
    }

    @Test("graces go into the state file and come back; unlock and another enrollment clear them")
    func stateFile() throws {
        var state = UserState(lastStep: 5, failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [])
        state = state.recordingGrace(service: "sudo", key: "tty /dev/pts/3", time: 1_800_000_000)
        state = state.recordingGrace(service: "s\"x\n", key: "rhost 2001:db8::1 tty ssh", time: 1)
        let text = state.serialized()
        #expect(text.contains("grace 7375646f 747479202f6465762f7074732f33 1800000000\n"))
        #expect(try UserState.parse(text) == state)
        #expect(state.unlocked().graces.isEmpty)
        let record = SecretRecord(secret: Array(repeating: 1, count: 20), parameters: .standard, created: 1)
        var bound = state
        bound.credentials = [CredentialState(fingerprint: "0123456789abcdef", lastCounter: 1)]
        #expect(bound.bound(to: record).graces.isEmpty, "another enrollment's graces go")
        for bad in ["grace 7375646f 74\n", "grace zz 7475 1\n", "grace 7375646f 7475 -1\n", "grace 7375646f  1\n"] {
            #expect(throws: FileFormatError.self, "\(bad)") { try UserState.parse("version 1\nlast_step 0\nfailures 0\nthrottled_until 0\nlocked 0\n" + bad) }
        }
    }

    @Test("the options: grace_period 0 to 86,400 (0 is off), grace_key rhost, rhost+tty or tty")
    func options() throws {
        let options = try ModuleOptions.parse(["grace_period=900", "grace_key=rhost+tty"])
        #expect(options.grace == GracePeriod(seconds: 900, key: .rhostAndTTY))
        #expect(ModuleOptions().grace.seconds == 0)
        let config = try ConfigFile.parse("grace_period = 600\ngrace_key = tty\n", path: "/etc/swift-2fa/swift-2fa.conf")
        #expect(try ModuleOptions.parse([], config: config).grace == GracePeriod(seconds: 600, key: .tty))
        for bad in ["grace_period=86401", "grace_period=-1", "grace_period", "grace_key=host", "grace_key="] {
            #expect(throws: OptionError.self, "\(bad)") { try ModuleOptions.parse([bad]) }
        }
    }
}
