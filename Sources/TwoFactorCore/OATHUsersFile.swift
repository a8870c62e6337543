/// The users file of pam_oath (liboath's `oath_authenticate_usersfile`, usually
/// `/etc/users.oath`), as far as an import needs it. Parsing is a pure function of the text
/// and the clock, so it can be fuzzed.
///
/// One key per line, fields separated by runs of spaces, tabs or CRs:
///
///     TYPE USER PIN SECRET-HEX [COUNTER [LAST-CODE [LAST-TIME]]]
///
/// - `TYPE`: `HOTP`, `HOTP/E` (counter-based), `HOTP/T30`, `HOTP/T60` (time-based, 30 or 60
///   seconds), each optionally followed by `/6`, `/7` or `/8` digits (`HOTP/E/7`,
///   `HOTP/T30/8`); 6 digits without. The hash is always SHA-1.
/// - `PIN`: `-` for none. swift-2fa has no PINs: any other value (also `+`, "checked by
///   another module") is kept out of the result and reported in `findings`, never quoted.
/// - `COUNTER`: for HOTP, the counter where liboath starts its search. liboath writes the
///   counter of the code it accepted there, together with that code (`LAST-CODE`) and the
///   local time (`LAST-TIME`, `2026-12-07T05:49:33L`), and refuses that code again by
///   comparing the text. So the next counter to accept is COUNTER + 1 when LAST-CODE is the
///   code of COUNTER, and COUNTER otherwise (a new line, or one an admin reset).
///   For TOTP, liboath adds the window positions of accepted codes to this field: it is no
///   time step and only checked to be a number. The step of the last accepted code is found
///   instead by looking for LAST-CODE among the steps around LAST-TIME (around `now` when
///   the line has no time), which is what liboath compares new codes with.
/// - Blank lines and lines whose first field starts with `#` are skipped.
///
/// Unlike liboath, which skips lines of an unknown type and ignores fields after the time,
/// every line that is not one of the above is an error, and all of a file's errors are
/// reported together (`ParseError.problems`), so an import can name each and write nothing.
public struct OATHUsersFile: Equatable, Sendable {
    /// One key of the file.
    public struct Entry: Equatable, Sendable {
        /// The line it was read from (the first line is 1).
        public var line: Int
        /// The user it belongs to.
        public var user: String
        /// The key; its label is `oath-line-N`.
        public var credential: ImportedCredential
        /// True when the line had a PIN (reported in `findings`; swift-2fa asks for the code only).
        public var hadPIN: Bool
    }

    /// A remark or an error about one line (`line` nil: about the whole file). The text never
    /// contains a secret, a PIN or a code.
    public struct Note: Equatable, Sendable, CustomStringConvertible {
        public var line: Int?
        public var message: String

        public var description: String {
            guard let line else { return message }
            return "line \(line): \(message)"
        }
    }

    /// Why a file cannot be imported: every line's problem, in line order.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var problems: [Note]

        public var description: String { problems.map { $0.description }.joined(separator: "\n") }
    }

    /// The keys in file order.
    public var entries: [Entry]
    /// Lines imported with a loss the admin must know of: a PIN, or a last code that was not
    /// found near its time (then no step is carried over).
    public var findings: [Note]

    /// Largest file accepted, in bytes.
    public static let maximumSize = 256 * 1024
    /// Most lines accepted (blank and comment lines included).
    public static let maximumLines = 4096

    /// Largest `utcOffset` taken as it is, in seconds (26 hours); larger ones are cut to it.
    public static let maximumUTCOffset = 26 * 3600

    /// Parses the file text. `now` is the current Unix time; `utcOffset` the offset in seconds
    /// east of UTC of the time zone in which pam_oath wrote its local `LAST-TIME` fields.
    public static func parse(_ text: String, now: Int64, utcOffset: Int) throws(ParseError) -> OATHUsersFile {
        guard text.utf8.count <= maximumSize else {
            throw ParseError(problems: [Note(line: nil, message: "the file is larger than \(maximumSize / 1024) KiB")])
        }
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count <= maximumLines else {
            throw ParseError(problems: [Note(line: nil, message: "the file has more than \(maximumLines) lines")])
        }
        var result = OATHUsersFile(entries: [], findings: [])
        var problems: [Note] = []
        for (index, bytes) in lines.enumerated() {
            let number = index + 1
            do throws(LineError) {
                if let entry = try parseLine(Substring(bytes), number: number, now: now, utcOffset: utcOffset,
                                             findings: &result.findings) {
                    result.entries.append(entry)
                }
            } catch {
                problems.append(Note(line: number, message: error.message))
            }
        }
        if problems.isEmpty && result.entries.isEmpty {
            problems.append(Note(line: nil, message: "the file has no keys"))
        }
        guard problems.isEmpty else { throw ParseError(problems: problems) }
        return result
    }

    private struct LineError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// The steps searched on each side of the last code's time: one hour (a change of
    /// daylight saving time between writing and importing) and pam_oath's window.
    static func searchRadius(period: Int) -> UInt64 { UInt64(3600 / period + 64) }

    /// One line: nil for a blank or comment line.
    private static func parseLine(_ line: Substring, number: Int, now: Int64, utcOffset: Int,
                                  findings: inout [Note]) throws(LineError) -> Entry? {
        let fields = line.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }).map { Substring($0) }
        guard let typeField = fields.first, !typeField.hasPrefix("#") else { return nil }
        if line.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0D || $0 == 0x7F }) {
            throw LineError("the line has a control character")
        }
        guard let type = TokenType(typeField) else {
            throw LineError("unknown token type '\(printable(typeField))' (HOTP, HOTP/E, HOTP/T30 or HOTP/T60, "
                            + "optionally with /6, /7 or /8)")
        }
        guard fields.count >= 2 else { throw LineError("no user name") }
        let user = String(fields[1])
        do throws(UserNameError) {
            try UserName.check(user)
        } catch {
            throw LineError("\(error.description)")
        }
        guard fields.count >= 3 else { throw LineError("no PIN field (- for none)") }
        let hadPIN = fields[2] != "-"
        guard fields.count >= 4 else { throw LineError("no secret") }
        guard let secret = Hex.decode(fields[3]) else { throw LineError("the secret is not hexadecimal") }
        guard Credential.allowedSecretLengths.contains(secret.count) else {
            throw LineError("the secret is \(secret.count) bytes; swift-2fa needs "
                            + "\(Credential.allowedSecretLengths.lowerBound) to \(Credential.allowedSecretLengths.upperBound)")
        }
        guard fields.count <= 7 else { throw LineError("unexpected fields after the time of the last code") }
        var counter: UInt64 = 0
        if fields.count >= 5 {
            guard fields[4].utf8.count <= 20, fields[4].utf8.allSatisfy(isDigit), let value = UInt64(fields[4]) else {
                throw LineError("the counter is not a number")
            }
            counter = value
        }
        var lastCode: Substring?
        if fields.count >= 6 {
            guard fields[5].utf8.count == type.digits, fields[5].utf8.allSatisfy(isDigit) else {
                throw LineError("the last code is not a \(type.digits)-digit code")
            }
            lastCode = fields[5]
        }
        var lastTime: Int64?
        if fields.count == 7 {
            guard let local = localTime(fields[6]) else {
                throw LineError("the time of the last code is not of the form 2026-12-07T05:49:33L")
            }
            lastTime = local - Int64(max(-maximumUTCOffset, min(maximumUTCOffset, utcOffset)))
        }
        let kind: ImportedCredential.Kind
        if let period = type.period {
            var lastUsedStep: UInt64?
            if let lastCode {
                lastUsedStep = step(of: lastCode, secret: secret, digits: type.digits, period: period,
                                    near: lastTime ?? now, now: now)
                if lastUsedStep == nil {
                    findings.append(Note(line: number, message: "the last code it records was not found near its time; "
                                         + "no used time step is carried over"))
                }
            }
            kind = .totp(period: period, lastUsedStep: lastUsedStep)
        } else {
            if let lastCode, HOTP.code(secret: secret, counter: counter, digits: type.digits, algorithm: .sha1) == String(lastCode) {
                guard counter < UInt64.max else { throw LineError("the counter is at its largest value") }
                counter += 1
            }
            kind = .hotp(counter: counter)
        }
        if hadPIN {
            let how = fields[2] == "+" ? "a PIN checked by another module ('+')" : "a PIN"
            findings.append(Note(line: number, message: "user \(printable(Substring(user))) has \(how); swift-2fa has no "
                                 + "PINs and asks for the code alone, so keep a password module before it"))
        }
        let credential = ImportedCredential(label: "oath-line-\(number)", kind: kind, algorithm: .sha1,
                                            digits: type.digits, secret: secret)
        return Entry(line: number, user: user, credential: credential, hadPIN: hadPIN)
    }

    /// The time step within `searchRadius` of `time` whose code is `code` (the nearest; the
    /// later of two as near), never after the step of `now`. Nil when there is none.
    static func step(of code: Substring, secret: [UInt8], digits: Int, period: Int, near time: Int64, now: Int64) -> UInt64? {
        let center = UInt64(max(0, time)) / UInt64(period)
        let radius = searchRadius(period: period)
        let wanted = String(code)
        var found: (step: UInt64, distance: UInt64)?
        for candidate in (center >= radius ? center - radius : 0)...(center + radius)
        where HOTP.code(secret: secret, counter: candidate, digits: digits, algorithm: .sha1) == wanted {
            let distance = candidate >= center ? candidate - center : center - candidate
            if found.map({ distance <= $0.distance }) ?? true { found = (candidate, distance) }
        }
        return found.map { min($0.step, UInt64(max(0, now)) / UInt64(period)) }
    }

    /// The token types of liboath.
    private struct TokenType {
        let digits: Int
        /// Seconds per step for time-based types; nil for counter-based ones.
        let period: Int?

        init?(_ text: Substring) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.first == "HOTP", parts.count <= 3 else { return nil }
            var rest = parts.dropFirst()
            switch rest.first {
            case nil: period = nil
            case "E": period = nil
            case "T30": period = 30
            case "T60": period = 60
            default: return nil
            }
            // `HOTP/7` is not a type; digits only after E, T30 or T60.
            if !rest.isEmpty { rest = rest.dropFirst() }
            switch rest.first {
            case nil: digits = 6
            case "6": digits = 6
            case "7": digits = 7
            case "8": digits = 8
            default: return nil
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSL` read as Unix seconds as if it were UTC; nil when malformed.
    static func localTime(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              bytes[19] == UInt8(ascii: "L") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard isDigit(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Count years from March, so the leap day is the last day of the year.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Up to 32 printable ASCII characters of a field, for messages.
    private static func printable(_ text: Substring) -> String {
        String(text.prefix(32).unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F })
    }
}
