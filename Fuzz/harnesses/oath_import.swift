// OATHUsersFile.parse: pam_oath's users.oath import parser (import --pam-oath).
// Properties: every key is importable as read, labels name their lines, a TOTP key's used step
// is never after now, and a refused file names lines in order, each at most once.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOATHUsersFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    // The clock and the time zone come from the input's length, so both vary without taking bytes.
    let now: Int64 = 1_796_622_639 + Int64(size % 7) * 40_000_000 - 2_000_000_000 * Int64(size % 2)
    let utcOffset = (size % 5 - 2) * 3600
    let lineCount = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).count
    do throws(OATHUsersFile.ParseError) {
        let file = try OATHUsersFile.parse(text, now: now, utcOffset: utcOffset)
        fuzzCheck(!file.entries.isEmpty, "a file without keys was accepted")
        var previous = 0
        for entry in file.entries {
            fuzzCheck(entry.line > previous && entry.line <= lineCount, "entry lines out of order or range")
            previous = entry.line
            fuzzCheck(UserName.isSafe(entry.user), "unsafe user name")
            let key = entry.credential
            fuzzCheck(key.label == "oath-line-\(entry.line)", "label does not name the line")
            fuzzCheck(HOTP.allowedDigits.contains(key.digits), "digits out of range")
            fuzzCheck(key.algorithm == .sha1, "users.oath keys are SHA-1")
            fuzzCheck(Credential.allowedSecretLengths.contains(key.secret.count), "secret length out of range")
            if case .totp(let period, let step) = key.kind {
                fuzzCheck(period == 30 || period == 60, "period is not 30 or 60")
                if let step { fuzzCheck(step <= UInt64(max(0, now)) / UInt64(period), "used step after now") }
            }
        }
        fuzzCheck(file.findings.allSatisfy { note in file.entries.contains { $0.line == note.line } },
                  "a finding names a line without a key")
    } catch {
        fuzzCheck(!error.problems.isEmpty, "a refusal without a problem")
        let lines = error.problems.compactMap { $0.line }
        fuzzCheck(lines == lines.sorted() && Set(lines).count == lines.count, "problems out of order or repeated")
        fuzzCheck(lines.allSatisfy { $0 >= 1 && $0 <= lineCount }, "a problem names a line outside the file")
    }
    return 0
}
