/// A PSKC file (RFC 6030, Portable Symmetric Key Container), as hardware token vendors ship
/// seeds, as far as an import needs it. Parsing is a pure function of the text and the key
/// material, so it can be fuzzed.
///
/// Read: `KeyContainer` (Version 1.0) with `KeyPackage`s, each with `DeviceInfo`
/// (`Manufacturer`, `SerialNo`) and one `Key` (`Id`, `Algorithm` the HOTP or TOTP profile of
/// RFC 6030 section 10), its `AlgorithmParameters` (`Suite` HMAC-SHA1/256/512, default SHA-1;
/// `ResponseFormat` `Length` 6, 7 or 8 and `Encoding` DECIMAL) and `Data`: `Secret`,
/// `Counter` (HOTP: the next counter), `TimeInterval` (TOTP period, default 30), `Time` (must
/// be 0) and `TimeDrift` (not carried over: a finding). Each value is a `PlainValue` or an
/// `EncryptedValue` with a `ValueMAC`: AES-CBC (128, 192 or 256 bits, the IV before the cipher
/// text) under a pre-shared key (`EncryptionKey/ds:KeyName`) or a PBKDF2-derived one
/// (`EncryptionKey/xenc11:DerivedKey`, HMAC-SHA1/256/512), MAC'd with the `MACMethod`
/// (HMAC-SHA1/256/512 over IV and cipher text) under its encrypted `MACKey`; or AES key wrap
/// (kw-aes128/192/256, RFC 3394 or with RFC 5649 padding), MAC'd when the file has one. A
/// wrong MAC is refused. Other elements (`Issuer`, `UserId`, `CryptoModuleInfo`, a signature)
/// are ignored; a `PINPolicy` is a finding (swift-2fa has no PINs).
public struct PSKCFile: Equatable, Sendable {
    /// What the caller has to open encrypted values.
    public enum KeyMaterial: Equatable, Sendable {
        case none
        /// The pre-shared encryption key itself.
        case key([UInt8])
        /// The password from which PBKDF2 derives the key.
        case password([UInt8])
    }

    /// How the file's values are protected, so the caller knows what to ask for.
    public enum Protection: Equatable, Sendable {
        case plain
        /// A pre-shared key, with its `KeyName` when the file gives one.
        case preSharedKey(name: String?)
        /// A password (PBKDF2), with the `MasterKeyName` when the file gives one.
        case password(name: String?)
    }

    /// One key of the file.
    public struct Entry: Equatable, Sendable {
        /// The position of its `KeyPackage` (the first is 1).
        public var package: Int
        /// The `Key` element's `Id`.
        public var keyID: String
        /// The device's `SerialNo`, when given.
        public var serialNumber: String?
        /// The device's `Manufacturer`, when given.
        public var manufacturer: String?
        /// The key; its label is the serial number, else the key id.
        public var credential: ImportedCredential
    }

    /// Why a file cannot be imported; names the element (`KeyPackage 2: Key "abc": Secret:
    /// wrong MAC`). Never contains a key, a password or a secret.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }

        /// The same error, under the name of the element it happened in.
        func inside(_ context: String) -> ParseError { ParseError("\(context): \(message)") }
    }

    /// Bounds on what is read (start from `standard` and change what differs).
    public struct Limits: Sendable {
        /// The XML reader's bounds.
        public var xml: XMLReader.Limits
        /// Most `KeyPackage`s.
        public var maximumKeys: Int
        /// Most PBKDF2 iterations (each costs the importer's time).
        public var maximumIterations: UInt32

        /// The XML reader's standard limits, 1,000 keys, 10,000,000 iterations.
        public static let standard = Limits(xml: .standard, maximumKeys: 1_000, maximumIterations: 10_000_000)
    }

    /// The keys in file order.
    public var entries: [Entry]
    /// What was read but not carried over (a clock drift, a PIN policy), one line each.
    public var findings: [String]

    static let hotpAlgorithm = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
    static let totpAlgorithm = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
    private static let pskc = PSKCEncryption.pskc

    /// The file's root element, checked to be a PSKC 1.0 key container.
    static func container(_ text: String, limits: Limits) throws(ParseError) -> XMLElement {
        let root: XMLElement
        do throws(XMLError) {
            root = try XMLReader.parse(text, limits: limits.xml)
        } catch {
            throw ParseError(error.description)
        }
        guard root.namespace == pskc, root.name == "KeyContainer" else {
            throw ParseError("the root element is not a PSKC KeyContainer")
        }
        guard root.attribute("Version") == "1.0" else { throw ParseError("KeyContainer: Version is not 1.0") }
        return root
    }

    /// How the file's values are protected (read before asking for a key or password).
    public static func protection(_ text: String, limits: Limits = .standard) throws(ParseError) -> Protection {
        let root = try container(text, limits: limits)
        guard let encryptionKey = root.children(pskc, "EncryptionKey").first else { return .plain }
        if let derived = encryptionKey.children(PSKCEncryption.xmlenc11, "DerivedKey").first {
            return .password(name: derived.children(PSKCEncryption.xmlenc11, "MasterKeyName").first?.text)
        }
        return .preSharedKey(name: encryptionKey.children(PSKCEncryption.xmldsig, "KeyName").first?.text)
    }

    /// Parses the file text, opening encrypted values with `keyMaterial`.
    public static func parse(_ text: String, keyMaterial: KeyMaterial,
                             limits: Limits = .standard) throws(ParseError) -> PSKCFile {
        let root = try container(text, limits: limits)
        let packages = root.children(pskc, "KeyPackage")
        guard !packages.isEmpty else { throw ParseError("the file has no KeyPackage") }
        guard packages.count <= limits.maximumKeys else {
            throw ParseError("the file has more than \(limits.maximumKeys) KeyPackages")
        }
        let encryption = try openEncryption(root, keyMaterial: keyMaterial, limits: limits)
        var result = PSKCFile(entries: [], findings: [])
        for (index, package) in packages.enumerated() {
            let context = "KeyPackage \(index + 1)"
            do throws(ParseError) {
                result.entries.append(try entry(package, number: index + 1, encryption: encryption,
                                                findings: &result.findings))
            } catch {
                throw error.inside(context)
            }
        }
        return result
    }

    /// The encryption key and the MAC key, or nil for a plain file.
    private static func openEncryption(_ root: XMLElement, keyMaterial: KeyMaterial,
                                       limits: Limits) throws(ParseError) -> PSKCEncryption? {
        guard let encryptionKey = root.children(pskc, "EncryptionKey").first else {
            guard root.children(pskc, "MACMethod").isEmpty else { throw ParseError("a MACMethod without an EncryptionKey") }
            return nil
        }
        let key: [UInt8]
        do throws(ParseError) {
            if let derived = encryptionKey.children(PSKCEncryption.xmlenc11, "DerivedKey").first {
                guard case .password(let password) = keyMaterial else {
                    throw ParseError("the file is encrypted with a password (PBKDF2); give the password")
                }
                key = try derive(derived, password: password, limits: limits)
            } else if !encryptionKey.children(PSKCEncryption.xmldsig, "KeyName").isEmpty {
                guard case .key(let preShared) = keyMaterial else {
                    throw ParseError("the file is encrypted with a pre-shared key; give the key")
                }
                key = preShared
            } else {
                throw ParseError("neither a ds:KeyName (pre-shared key) nor an xenc11:DerivedKey (PBKDF2)")
            }
        } catch {
            throw error.inside("EncryptionKey")
        }
        var encryption = PSKCEncryption(key: key)
        // python-pskc writes a MACMethod without an Algorithm (and no ValueMAC) for key-wrapped
        // files: that is no MAC method, and a ValueMAC or a CBC value is then refused.
        if let method = root.children(pskc, "MACMethod").first, method.attribute("Algorithm") != nil {
            do throws(ParseError) {
                guard let name = method.attribute("Algorithm"), let algorithm = PSKCEncryption.hmacNames[name] else {
                    throw ParseError("the algorithm is not hmac-sha1, hmac-sha256 or hmac-sha512")
                }
                guard let macKey = method.children(pskc, "MACKey").first else { throw ParseError("no MACKey") }
                let decrypted: [UInt8]
                do throws(ParseError) {
                    decrypted = try encryption.decrypt(macKey, integrity: .macKey)
                } catch {
                    throw error.inside("MACKey")
                }
                guard !decrypted.isEmpty else { throw ParseError("MACKey: empty") }
                encryption.mac = (algorithm, decrypted)
            } catch {
                throw error.inside("MACMethod")
            }
        }
        return encryption
    }

    /// The PBKDF2 key of `xenc11:DerivedKey`.
    private static func derive(_ derived: XMLElement, password: [UInt8], limits: Limits) throws(ParseError) -> [UInt8] {
        guard let method = derived.children(PSKCEncryption.xmlenc11, "KeyDerivationMethod").first,
              method.attribute("Algorithm") == PSKCEncryption.pbkdf2 else {
            throw ParseError("DerivedKey: the key derivation method is not PBKDF2")
        }
        // RFC 6030's figure names the parameters in the PKCS #5 namespace; others write xenc11.
        guard let parameters = method.children.first(where: {
            $0.name == "PBKDF2-params" && ($0.namespace == PSKCEncryption.pkcs5 || $0.namespace == PSKCEncryption.xmlenc11)
        }) else {
            throw ParseError("DerivedKey: no PBKDF2-params")
        }
        func field(_ name: String) -> XMLElement? { parameters.children.first { $0.name == name } }
        guard let saltText = field("Salt")?.children.first(where: { $0.name == "Specified" })?.text,
              let salt = Base64.decode(saltText), !salt.isEmpty else {
            throw ParseError("PBKDF2-params: no base64 Salt/Specified")
        }
        guard let iterationText = field("IterationCount")?.text, let iterations = UInt32(trimmed(iterationText)),
              iterations >= 1, iterations <= limits.maximumIterations else {
            throw ParseError("PBKDF2-params: IterationCount is not from 1 to \(limits.maximumIterations)")
        }
        guard let lengthText = field("KeyLength")?.text, let length = Int(trimmed(lengthText)),
              [16, 24, 32].contains(length) else {
            throw ParseError("PBKDF2-params: KeyLength is not 16, 24 or 32")
        }
        var prf = HashAlgorithm.sha1
        if let prfElement = field("PRF") {
            // RFC 6030's figure 7 has an empty PRF: the default.
            let name = prfElement.attribute("Algorithm") ?? trimmed(prfElement.text)
            guard let named = name.isEmpty ? .sha1 : PSKCEncryption.hmacNames[name] else {
                throw ParseError("PBKDF2-params: PRF is not hmac-sha1, hmac-sha256 or hmac-sha512")
            }
            prf = named
        }
        guard let key = PSKCEncryption.pbkdf2(prf, password: password, salt: salt, iterations: iterations,
                                              length: length) else {
            throw ParseError("PBKDF2 failed")
        }
        return key
    }

    /// One `KeyPackage`.
    private static func entry(_ package: XMLElement, number: Int, encryption: PSKCEncryption?,
                              findings: inout [String]) throws(ParseError) -> Entry {
        let device = package.children(pskc, "DeviceInfo").first
        let serial = device?.children(pskc, "SerialNo").first.map { trimmed($0.text) }
        let manufacturer = device?.children(pskc, "Manufacturer").first.map { trimmed($0.text) }
        let keys = package.children(pskc, "Key")
        guard keys.count == 1, let key = keys.first else { throw ParseError("not exactly one Key") }
        guard let id = key.attribute("Id"), !id.isEmpty else { throw ParseError("a Key without an Id") }
        let context = "Key \(quoted(id))"
        do throws(ParseError) {
            let credential = try credential(key, label: serial.flatMap { $0.isEmpty ? nil : $0 } ?? id,
                                            encryption: encryption,
                                            findings: &findings, context: "KeyPackage \(number): \(context)")
            return Entry(package: number, keyID: id, serialNumber: serial, manufacturer: manufacturer,
                         credential: credential)
        } catch {
            throw error.inside(context)
        }
    }

    /// The credential of one `Key` element.
    private static func credential(_ key: XMLElement, label: String, encryption: PSKCEncryption?,
                                   findings: inout [String], context: String) throws(ParseError) -> ImportedCredential {
        let algorithmName = key.attribute("Algorithm") ?? ""
        guard algorithmName == hotpAlgorithm || algorithmName == totpAlgorithm else {
            throw ParseError("the algorithm \(quoted(algorithmName)) is not the HOTP or TOTP profile")
        }
        let parameters = key.children(pskc, "AlgorithmParameters").first
        var hash = HashAlgorithm.sha1
        if let suite = parameters?.children(pskc, "Suite").first {
            let name = trimmed(suite.text).uppercased()
            guard let named = HashAlgorithm(name: name.hasPrefix("HMAC-") ? String(name.dropFirst(5)) : name) else {
                throw ParseError("Suite \(quoted(suite.text)) is not HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512")
            }
            hash = named
        }
        guard let format = parameters?.children(pskc, "ResponseFormat").first,
              let length = format.attribute("Length"), let digits = Int(length), HOTP.allowedDigits.contains(digits) else {
            throw ParseError("AlgorithmParameters: no ResponseFormat Length of 6, 7 or 8")
        }
        guard (format.attribute("Encoding") ?? "DECIMAL") == "DECIMAL" else {
            throw ParseError("ResponseFormat: the Encoding is not DECIMAL")
        }
        guard let data = key.children(pskc, "Data").first else { throw ParseError("no Data") }
        func value(_ name: String) throws(ParseError) -> [UInt8]? {
            guard let element = data.children(pskc, name).first else { return nil }
            do throws(ParseError) {
                return try fieldValue(element, encryption: encryption)
            } catch {
                throw error.inside(name)
            }
        }
        func integer(_ name: String) throws(ParseError) -> Int64? {
            guard let element = data.children(pskc, name).first else { return nil }
            do throws(ParseError) {
                return try integerValue(element, encryption: encryption)
            } catch {
                throw error.inside(name)
            }
        }
        guard let secret = try value("Secret") else { throw ParseError("no Secret") }
        guard Credential.allowedSecretLengths.contains(secret.count) else {
            throw ParseError("Secret: \(secret.count) bytes; swift-2fa needs \(Credential.allowedSecretLengths.lowerBound) "
                             + "to \(Credential.allowedSecretLengths.upperBound)")
        }
        let kind: ImportedCredential.Kind
        if algorithmName == hotpAlgorithm {
            let counter = try integer("Counter") ?? 0
            guard counter >= 0 else { throw ParseError("Counter: negative") }
            kind = .hotp(counter: UInt64(counter))
        } else {
            let period = try integer("TimeInterval") ?? 30
            guard OTPParameters.allowedPeriods.contains(Int(clamping: period)) else {
                throw ParseError("TimeInterval: not from \(OTPParameters.allowedPeriods.lowerBound) "
                                 + "to \(OTPParameters.allowedPeriods.upperBound) seconds")
            }
            guard (try integer("Time") ?? 0) == 0 else {
                throw ParseError("Time: codes counted from a start other than 0 are not supported")
            }
            if let drift = try integer("TimeDrift"), drift != 0 {
                findings.append("\(context): a clock drift of \(drift) time steps is not carried over")
            }
            kind = .totp(period: Int(period), lastUsedStep: nil)
        }
        if key.children(pskc, "Policy").first?.children(pskc, "PINPolicy").isEmpty == false {
            findings.append("\(context): its PIN policy is not carried over (swift-2fa has no PINs)")
        }
        return ImportedCredential(label: label, kind: kind, algorithm: hash, digits: digits, secret: secret)
    }

    /// The bytes of a `Data` field: a base64 `PlainValue`, or an `EncryptedValue` with its `ValueMAC`.
    private static func fieldValue(_ element: XMLElement, encryption: PSKCEncryption?) throws(ParseError) -> [UInt8] {
        let plain = element.children(pskc, "PlainValue")
        let encrypted = element.children(pskc, "EncryptedValue")
        guard plain.count + encrypted.count == 1 else { throw ParseError("not exactly one PlainValue or EncryptedValue") }
        if let plain = plain.first {
            guard let bytes = Base64.decode(plain.text) else { throw ParseError("PlainValue is not base64") }
            return bytes
        }
        return try decrypted(element, encryption: encryption)
    }

    /// An integer `Data` field: a decimal `PlainValue`, or an `EncryptedValue` of up to 8
    /// big-endian bytes.
    private static func integerValue(_ element: XMLElement, encryption: PSKCEncryption?) throws(ParseError) -> Int64 {
        let plain = element.children(pskc, "PlainValue")
        let encrypted = element.children(pskc, "EncryptedValue")
        guard plain.count + encrypted.count == 1 else { throw ParseError("not exactly one PlainValue or EncryptedValue") }
        if let plain = plain.first {
            let text = trimmed(plain.text)
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.count <= 19, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int64(text) else {
                throw ParseError("PlainValue is not a whole number")
            }
            return value
        }
        let bytes = try decrypted(element, encryption: encryption)
        guard !bytes.isEmpty, bytes.count <= 8, bytes.count < 8 || bytes[0] < 0x80 else {
            throw ParseError("the decrypted value is not a number of 1 to 8 bytes")
        }
        return bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// The plaintext of a field's `EncryptedValue`, its `ValueMAC` checked.
    private static func decrypted(_ element: XMLElement, encryption: PSKCEncryption?) throws(ParseError) -> [UInt8] {
        guard let encryption, let encrypted = element.children(pskc, "EncryptedValue").first else {
            throw ParseError("an EncryptedValue in a file without an EncryptionKey")
        }
        var mac: [UInt8]?
        if let macElement = element.children(pskc, "ValueMAC").first {
            guard let bytes = Base64.decode(macElement.text) else { throw ParseError("ValueMAC is not base64") }
            mac = bytes
        }
        return try encryption.decrypt(encrypted, integrity: .value(mac: mac))
    }

    private static func trimmed(_ text: String) -> String {
        let bytes = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(Substring(text.utf8[first...last]))
    }

    /// A value from the file for a message: quoted, printable ASCII, at most 40 characters.
    public static func quoted(_ text: String) -> String {
        "\"" + String(text.unicodeScalars.prefix(40).filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" }) + "\""
    }
}
