/// One request to the self-service socket (`swift-2fa-setup serve-user`): what a user asks
/// to do with their own second factor, and the proof that it is them. The request never
/// names a user; the endpoint takes the caller from the socket's peer credentials.
///
/// The text is one flat JSON object (`FlatJSONObject`) of at most `maximumSize` bytes, e.g.
/// `{"op":"status","code":"123456","json":true}`. Each operation takes its own keys and no
/// other; every value is checked here, so that nothing malformed reaches the store.
public struct SelfServiceRequest: Equatable, Sendable {
    /// The largest request, in bytes.
    public static let maximumSize = 8192

    /// The parameters of a new credential (`enroll-add`, `replace`).
    public struct NewCredential: Equatable, Sendable {
        /// The label; nil lets the command choose (`replace` only).
        public var label: String?
        /// Counter-based (HOTP) instead of time-based.
        public var hotp: Bool
        public var algorithm: HashAlgorithm
        public var digits: Int
        /// Seconds per code (TOTP).
        public var period: Int

        public init(label: String?, hotp: Bool = false, algorithm: HashAlgorithm = .sha1, digits: Int = 6, period: Int = 30) {
            self.label = label
            self.hotp = hotp
            self.algorithm = algorithm
            self.digits = digits
            self.period = period
        }
    }

    /// What the user asks for.
    public enum Operation: Equatable, Sendable {
        /// `status`.
        case status
        /// `backup-codes`, or with `regenerate` `backup-codes --regenerate`.
        case backupCodes(regenerate: Bool)
        /// `enroll --add --pending`: a new credential, pending until `confirm`.
        case enrollAdd(NewCredential)
        /// `confirm` with a code of the pending credential.
        case confirm(code: String)
        /// `credentials list`.
        case credentialsList
        /// `credentials remove` (never the last one).
        case credentialsRemove(credential: String)
        /// `credentials rename`.
        case credentialsRename(credential: String, label: String)
        /// `enroll --force --pending`: a new secret for a new phone, pending until `confirm`;
        /// the enrollment in use keeps working until then.
        case replace(NewCredential)
    }

    /// How the caller proves it is them: a current code or an unused backup code (checked as
    /// a login is), or a session token an earlier accepted code gave.
    public enum Proof: Equatable, Sendable {
        case code(String)
        case session(String)
    }

    /// Why a request is refused: one line.
    public struct Problem: Error, Equatable, Sendable {
        public let message: String

        public init(_ message: String) { self.message = message }
    }

    public var operation: Operation
    /// The proof; nil for `confirm`, which the pending credential's own code authorizes.
    public var proof: Proof?
    /// The command's `--json` output instead of its text.
    public var json: Bool

    public init(operation: Operation, proof: Proof?, json: Bool = false) {
        self.operation = operation
        self.proof = proof
        self.json = json
    }

    /// The operation's name in a request (`op`) and in the log.
    public var operationName: String {
        switch operation {
        case .status: return "status"
        case .backupCodes: return "backup-codes"
        case .enrollAdd: return "enroll-add"
        case .confirm: return "confirm"
        case .credentialsList: return "credentials-list"
        case .credentialsRemove: return "credentials-remove"
        case .credentialsRename: return "credentials-rename"
        case .replace: return "replace"
        }
    }

    /// True when the operation changes the enrollment (reads are `status`, `credentials-list`
    /// and counting the backup codes).
    public var changes: Bool {
        switch operation {
        case .status, .credentialsList, .backupCodes(regenerate: false): return false
        default: return true
        }
    }

    /// The length of a session token: 32 random bytes in lowercase hex.
    public static let sessionLength = 64
    /// The longest code or backup code accepted.
    public static let maximumCodeLength = 64

    /// Parses and checks a request.
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> SelfServiceRequest {
        guard bytes.count <= maximumSize else { throw Problem("the request is larger than \(maximumSize) bytes") }
        let object: FlatJSONObject
        do throws(FlatJSONObject.ParseError) { object = try FlatJSONObject.parse(bytes) } catch {
            throw Problem("not a JSON object of strings, booleans and numbers: \(error.message)")
        }
        var fields = Fields(object: object)
        let name = try fields.string("op")
        let operation: Operation
        switch name {
        case "status": operation = .status
        case "backup-codes": operation = .backupCodes(regenerate: try fields.bool("regenerate") ?? false)
        case "enroll-add": operation = .enrollAdd(try fields.newCredential(labelRequired: true))
        case "confirm": operation = .confirm(code: try fields.code("code"))
        case "credentials-list": operation = .credentialsList
        case "credentials-remove": operation = .credentialsRemove(credential: try fields.label("credential"))
        case "credentials-rename":
            operation = .credentialsRename(credential: try fields.label("credential"), label: try fields.label("label"))
        case "replace": operation = .replace(try fields.newCredential(labelRequired: false))
        default: throw Problem("unknown op \"\(name)\"")
        }
        var proof: Proof?
        if case .confirm = operation {
            proof = nil
        } else {
            let code = fields.has("code") ? try fields.code("code") : nil
            let session = fields.has("session") ? try fields.session() : nil
            switch (code, session) {
            case (let code?, nil): proof = .code(code)
            case (nil, let session?): proof = .session(session)
            case (nil, nil): throw Problem("\(name) needs a code (\"code\") or a session (\"session\")")
            default: throw Problem("give either \"code\" or \"session\", not both")
            }
        }
        let json = try fields.bool("json") ?? false
        if let unknown = fields.unused.first { throw Problem("the key \"\(unknown)\" is not allowed for op \(name)") }
        return SelfServiceRequest(operation: operation, proof: proof, json: json)
    }

    /// The request as the text `parse` reads.
    public var text: String {
        typealias Member = FlatJSONObject.Member
        var members = [Member(key: "op", value: .string(operationName))]
        switch operation {
        case .status, .credentialsList: break
        case .backupCodes(let regenerate): members.append(Member(key: "regenerate", value: .bool(regenerate)))
        case .enrollAdd(let credential), .replace(let credential):
            if let label = credential.label { members.append(Member(key: "label", value: .string(label))) }
            members.append(Member(key: "hotp", value: .bool(credential.hotp)))
            members.append(Member(key: "algorithm", value: .string(credential.algorithm.rawValue)))
            members.append(Member(key: "digits", value: .integer(credential.digits)))
            members.append(Member(key: "period", value: .integer(credential.period)))
        case .confirm(let code): members.append(Member(key: "code", value: .string(code)))
        case .credentialsRemove(let credential): members.append(Member(key: "credential", value: .string(credential)))
        case .credentialsRename(let credential, let label):
            members.append(Member(key: "credential", value: .string(credential)))
            members.append(Member(key: "label", value: .string(label)))
        }
        switch proof {
        case .code(let code): members.append(Member(key: "code", value: .string(code)))
        case .session(let token): members.append(Member(key: "session", value: .string(token)))
        case nil: break
        }
        members.append(Member(key: "json", value: .bool(json)))
        return FlatJSONObject(members: members).text
    }

    /// True for a session token's shape: `sessionLength` lowercase hex digits.
    public static func isSessionShape(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == sessionLength && bytes.allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
        }
    }

    /// The members of the object, each read at most once and checked for its type.
    private struct Fields {
        let object: FlatJSONObject
        var read: [String] = []

        init(object: FlatJSONObject) { self.object = object }

        /// The keys no operation read.
        var unused: [String] {
            object.members.map { $0.key }.filter { key in !read.contains(key) }
        }

        func has(_ key: String) -> Bool { object[key] != nil }

        mutating func string(_ key: String) throws(Problem) -> String {
            read.append(key)
            switch object[key] {
            case .string(let text): return text
            case nil: throw Problem("the key \"\(key)\" is missing")
            default: throw Problem("\"\(key)\" must be a string")
            }
        }

        mutating func bool(_ key: String) throws(Problem) -> Bool? {
            read.append(key)
            switch object[key] {
            case .bool(let flag): return flag
            case nil: return nil
            default: throw Problem("\"\(key)\" must be true or false")
            }
        }

        mutating func integer(_ key: String) throws(Problem) -> Int? {
            read.append(key)
            switch object[key] {
            case .integer(let number): return number
            case nil: return nil
            default: throw Problem("\"\(key)\" must be a number")
            }
        }

        /// A code or backup code: 1 to `maximumCodeLength` printable ASCII characters.
        mutating func code(_ key: String) throws(Problem) -> String {
            let text = try string(key)
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty, bytes.count <= SelfServiceRequest.maximumCodeLength,
                  bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw Problem("\"\(key)\" must be 1 to \(SelfServiceRequest.maximumCodeLength) printable ASCII characters")
            }
            return text
        }

        mutating func session() throws(Problem) -> String {
            let text = try string("session")
            guard SelfServiceRequest.isSessionShape(text) else {
                throw Problem("\"session\" must be \(SelfServiceRequest.sessionLength) lowercase hex digits")
            }
            return text
        }

        /// A credential's label (or, for `credential`, its id: digits are a valid label too).
        mutating func label(_ key: String) throws(Problem) -> String {
            let text = try string(key)
            guard Credential.isValidLabel(text) else { throw Problem("\"\(key)\": " + SecretRecord.labelRule) }
            return text
        }

        mutating func newCredential(labelRequired: Bool) throws(Problem) -> NewCredential {
            let label: String? = labelRequired || has("label") ? try self.label("label") : nil
            var credential = NewCredential(label: label, hotp: try bool("hotp") ?? false)
            if has("algorithm") {
                let name = try string("algorithm")
                guard let algorithm = HashAlgorithm(rawValue: name) else {
                    throw Problem("\"algorithm\" must be SHA1, SHA256 or SHA512")
                }
                credential.algorithm = algorithm
            }
            if let digits = try integer("digits") {
                guard Credential.allowedDigits.contains(digits) else { throw Problem("\"digits\" must be 6, 7 or 8") }
                credential.digits = digits
            }
            if let period = try integer("period") {
                guard OTPParameters.allowedPeriods.contains(period) else {
                    throw Problem("\"period\" must be from \(OTPParameters.allowedPeriods.lowerBound) to "
                                  + "\(OTPParameters.allowedPeriods.upperBound) seconds")
                }
                credential.period = period
            }
            return credential
        }
    }
}
