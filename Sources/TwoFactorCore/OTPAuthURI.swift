/// `otpauth://totp/...` (and `otpauth://hotp/...`) URIs in the Key Uri Format that
/// authenticator apps scan.
public struct OTPAuthURI: Equatable, Sendable {
    public var issuer: String
    public var account: String
    public var secret: [UInt8]
    /// For HOTP, the period is not used.
    public var parameters: OTPParameters
    /// The first counter of a HOTP URI; nil for TOTP.
    public var counter: UInt64?

    public init(issuer: String, account: String, secret: [UInt8], parameters: OTPParameters, counter: UInt64? = nil) {
        self.issuer = issuer
        self.account = account
        self.secret = secret
        self.parameters = parameters
        self.counter = counter
    }

    /// The URI of `credential`.
    public init(issuer: String, account: String, credential: Credential) {
        var counter: UInt64?
        var period = OTPParameters.standard.period
        switch credential.kind {
        case .totp(let seconds, _): period = seconds
        case .hotp(let next): counter = next
        }
        self.init(issuer: issuer, account: account, secret: credential.secret,
                  parameters: OTPParameters(algorithm: credential.algorithm, digits: credential.digits, period: period),
                  counter: counter)
    }

    /// The URI: label `issuer:account`, the `issuer` parameter, and `algorithm`, `digits`
    /// and `period` only when they differ from SHA1 / 6 / 30; a HOTP URI has `counter`.
    public var text: String {
        var uri = "otpauth://\(counter == nil ? "totp" : "hotp")/\(Self.percentEncoded(issuer)):\(Self.percentEncoded(account))"
        uri += "?secret=\(Base32.encode(secret))&issuer=\(Self.percentEncoded(issuer))"
        if parameters.algorithm != .sha1 { uri += "&algorithm=\(parameters.algorithm.rawValue)" }
        if parameters.digits != 6 { uri += "&digits=\(parameters.digits)" }
        if let counter {
            uri += "&counter=\(counter)"
        } else if parameters.period != 30 {
            uri += "&period=\(parameters.period)"
        }
        return uri
    }

    /// Longest issuer or account accepted when parsing, in bytes: it keeps `text` of any
    /// parsed URI (where every non-ASCII byte takes three) within the 4096 bytes parsed.
    public static let maximumNameLength = 256

    /// Parses a TOTP URI; nil when it is not one or a value is invalid.
    public init?(parsing text: String) {
        let prefix = "otpauth://totp/"
        guard text.utf8.count <= 4096, text.lowercased().hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count)
        let pathAndQuery = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard pathAndQuery.count == 2 else { return nil }
        // The label is `issuer:account`. A ':' inside either part is percent-encoded,
        // so a literal ':' is the separator; split before decoding.
        let rawLabel = pathAndQuery[0]
        var issuer = ""
        var account: String
        if let colon = rawLabel.firstIndex(of: ":") {
            guard let decodedIssuer = Self.percentDecoded(rawLabel[..<colon]),
                  let decodedAccount = Self.percentDecoded(rawLabel[rawLabel.index(after: colon)...]) else { return nil }
            issuer = decodedIssuer
            account = decodedAccount.trimmingLeadingSpaces()
        } else {
            // No literal ':': the separator may itself be encoded as %3A.
            guard let decoded = Self.percentDecoded(rawLabel) else { return nil }
            account = decoded
            if let colon = decoded.firstIndex(of: ":") {
                issuer = String(decoded[..<colon])
                account = String(decoded[decoded.index(after: colon)...]).trimmingLeadingSpaces()
            }
        }
        var secret: [UInt8]?
        var parameters = OTPParameters.standard
        for pair in pathAndQuery[1].split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard keyValue.count == 2, let value = Self.percentDecoded(keyValue[1]) else { return nil }
            switch keyValue[0].lowercased() {
            case "secret": secret = Base32.decode(value)
            case "issuer": issuer = value
            case "algorithm":
                guard let algorithm = HashAlgorithm(name: value) else { return nil }
                parameters.algorithm = algorithm
            case "digits":
                guard value.count <= 2, let digits = Int(value) else { return nil }
                parameters.digits = digits
            case "period":
                guard value.count <= 4, let period = Int(value) else { return nil }
                parameters.period = period
            default: continue
            }
        }
        guard let secret, !secret.isEmpty, secret.count <= Credential.allowedSecretLengths.upperBound,
              parameters.isValid, issuer.utf8.count <= Self.maximumNameLength,
              account.utf8.count <= Self.maximumNameLength else { return nil }
        self.init(issuer: issuer, account: account, secret: secret, parameters: parameters)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes %XX escapes (and `+` as space); nil for a broken escape or invalid UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count,
                      let value = Hex.decode(Substring(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self))),
                      let decoded = value.first else { return nil }
                out.append(decoded)
                index += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " }))
    }
}
