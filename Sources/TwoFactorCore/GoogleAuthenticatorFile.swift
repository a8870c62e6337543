/// The contents of a `~/.google_authenticator` file (libpam-google-authenticator), as
/// far as an import needs them. Parsing is a pure function of the text, so it can be fuzzed.
///
/// The format: line 1 is the base32 secret; option lines start with `" `, then the option
/// name and its values separated by spaces or tabs; then one 8-digit scratch code per line.
/// The options google-authenticator and its PAM module write or read:
///
/// - `TOTP_AUTH`: time-based codes.
/// - `HOTP_COUNTER n`: counter-based codes, `n` the next counter the module accepts
///   (`hotpCounter`); a file with both is refused.
/// - `STEP_SIZE n`: seconds per code; becomes the period.
/// - `DISALLOW_REUSE [step ...]`: time steps already used; they stay used (`lastUsedStep(now:)`).
/// - `WINDOW_SIZE n`, `RATE_LIMIT n m [times ...]`: the module's `window=` and `throttle_*=`
///   options (or the configuration file) take their place; listed in `ignoredOptions`.
/// - `TIME_SKEW n`, `RESETTING_TIME_SKEW [step±skew ...]`: the clock skew the module learned
///   for the phone; not carried over (`window=` applies); listed in `ignoredOptions`, and a
///   non-zero `TIME_SKEW` is kept in `timeSkewSteps` so the import can warn about it.
/// - `OTP_DISABLED`: documented in the format description but never read by the module;
///   listed in `ignoredOptions`.
///
/// Any other option is refused: its meaning is unknown, so importing could change behaviour.
public struct GoogleAuthenticatorFile: Equatable, Sendable {
    /// The shared secret.
    public var secret: [UInt8]
    /// Seconds per code (`STEP_SIZE`, default 30).
    public var period: Int
    /// The unused scratch codes, 8 digits each.
    public var scratchCodes: [String]
    /// Time steps already used (`DISALLOW_REUSE`), so they stay unusable after the import.
    public var usedSteps: [UInt64]
    /// Options present in the file that have no equivalent in the secret file; the
    /// module's own options (`window=`, `throttle_*=`) take their place.
    public var ignoredOptions: [String]
    /// The `TIME_SKEW` the module had learned, in time steps (0 when absent or unreadable).
    public var timeSkewSteps: Int = 0
    /// For a counter-based file (`HOTP_COUNTER`), the next counter; nil for a time-based one.
    public var hotpCounter: UInt64?
    /// True when the file has a `TOTP_AUTH` line.
    private var saysTOTP = false

    /// The names of options that are read but have no equivalent (see the type's comment).
    public static let ignoredOptionNames: Set<String> = [
        "WINDOW_SIZE", "RATE_LIMIT", "TIME_SKEW", "RESETTING_TIME_SKEW", "OTP_DISABLED",
    ]

    /// The file's key as a credential to import (6 digits, SHA-1, as google-authenticator
    /// makes them), labelled `label`: counter-based with `hotpCounter`, else time-based with
    /// `period` and the `lastUsedStep(now:)` (none when 0).
    public func credential(label: String, now: Int64) -> ImportedCredential {
        let lastStep = lastUsedStep(now: now)
        let kind: ImportedCredential.Kind = hotpCounter.map { .hotp(counter: $0) }
            ?? .totp(period: period, lastUsedStep: lastStep == 0 ? nil : lastStep)
        return ImportedCredential(label: label, kind: kind, algorithm: .sha1, digits: 6, secret: secret)
    }

    /// The last time step that must count as used after the import: the latest
    /// `DISALLOW_REUSE` step, but never later than the step current at `now`, so a forged
    /// or far-future step cannot make every code of the enrollment a replay. 0 when none.
    public func lastUsedStep(now: Int64) -> UInt64 {
        let current = now > 0 && period > 0 ? UInt64(now) / UInt64(period) : 0
        return min(usedSteps.max() ?? 0, current)
    }

    /// Why a file cannot be imported. The text never contains the secret or a code.
    public struct ParseError: Error, Equatable, Sendable {
        public let message: String
    }

    /// Longest file accepted, in bytes.
    public static let maximumSize = 64 * 1024

    /// Parses the file text.
    public static func parse(_ text: String) throws(ParseError) -> GoogleAuthenticatorFile {
        guard text.utf8.count <= maximumSize else { throw ParseError(message: "the file is larger than 64 KiB") }
        // Split on LF bytes: a Character split would treat CR LF as one character.
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            Substring(line.last == 0x0D ? line.dropLast() : line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw ParseError(message: "the file is empty") }
        guard first.utf8.count <= 256, !first.isEmpty, let secret = Base32.decode(String(first)),
              Credential.allowedSecretLengths.contains(secret.count) else {
            throw ParseError(message: "line 1 is not a valid base32 secret")
        }
        var result = GoogleAuthenticatorFile(secret: secret, period: 30, scratchCodes: [], usedSteps: [], ignoredOptions: [])
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if line.hasPrefix("\" ") {
                try result.apply(option: line.dropFirst(2), line: number)
            } else if line.utf8.count == 8, line.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                result.scratchCodes.append(String(line))
            } else if !line.isEmpty {
                throw ParseError(message: "line \(number) is neither an option nor an 8-digit scratch code")
            }
        }
        guard !(result.saysTOTP && result.hotpCounter != nil) else {
            throw ParseError(message: "the file has both TOTP_AUTH and HOTP_COUNTER")
        }
        guard result.scratchCodes.count <= SecretRecord.maximumBackupCodes else {
            throw ParseError(message: "more than \(SecretRecord.maximumBackupCodes) scratch codes")
        }
        return result
    }

    /// Applies one option line (without the leading `" `); throws the reason it is refused.
    private mutating func apply(option: Substring, line: Int) throws(ParseError) {
        // google-authenticator separates values with spaces or tabs.
        let words = option.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let name = words.first else { throw ParseError(message: "line \(line) is an empty option") }
        let values = words.dropFirst()
        switch name {
        case "TOTP_AUTH":
            saysTOTP = true
        case "HOTP_COUNTER":
            guard values.count == 1, let first = values.first, first.utf8.count <= 20,
                  first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let counter = UInt64(first), hotpCounter == nil else {
                throw ParseError(message: "line \(line): HOTP_COUNTER must be one counter value")
            }
            hotpCounter = counter
        case "STEP_SIZE":
            guard values.count == 1, let first = values.first, first.utf8.count <= 4, let period = Int(first),
                  OTPParameters.allowedPeriods.contains(period) else {
                throw ParseError(message: "line \(line): STEP_SIZE must be from \(OTPParameters.allowedPeriods.lowerBound) "
                                 + "to \(OTPParameters.allowedPeriods.upperBound) seconds")
            }
            self.period = period
        case "DISALLOW_REUSE":
            for value in values {
                guard value.utf8.count <= 20, let step = UInt64(value) else {
                    throw ParseError(message: "line \(line): DISALLOW_REUSE has an invalid time step")
                }
                usedSteps.append(step)
            }
        case _ where Self.ignoredOptionNames.contains(String(name)):
            if name == "TIME_SKEW", values.count == 1, let first = values.first, first.utf8.count <= 11,
               let skew = Int(first) {
                timeSkewSteps = skew
            }
            if !ignoredOptions.contains(String(name)) { ignoredOptions.append(String(name)) }
        default:
            let printable = String(name.prefix(32).unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F })
            throw ParseError(message: "line \(line) has an unknown option '\(printable)'")
        }
    }
}
