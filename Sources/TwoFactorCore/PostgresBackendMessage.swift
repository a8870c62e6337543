/// A message from the server (here: the local pooler), decoded from its type byte and body
/// with every length and count checked against the bytes actually there. Only the
/// messages a trust-authenticated session with one extended-protocol call can see are
/// known; anything else is an error, never skipped.
public enum PostgresBackendMessage: Equatable {
    /// AuthenticationOk: the session needs no credential.
    case authenticationOk
    /// Any other Authentication request (cleartext, MD5, SASL, GSS, ...), by its code. It is
    /// refused, never answered: the login process holds no credential and sends none.
    case authenticationRequest(code: Int32)
    case parameterStatus(name: String, value: String)
    case backendKeyData
    /// ReadyForQuery with its transaction status byte (`I`, `T` or `E`).
    case readyForQuery(status: UInt8)
    case parseComplete
    case bindComplete
    /// RowDescription: the number of columns (each in text format).
    case rowDescription(columns: Int)
    case noData
    /// DataRow: each value as text, nil for SQL NULL.
    case dataRow([String?])
    case commandComplete(tag: String)
    case emptyQueryResponse
    /// ErrorResponse: its SQLSTATE (`""` when missing) and primary message.
    case errorResponse(sqlState: String, message: String)
    case noticeResponse

    /// Largest body accepted, in bytes; a longer length is an error before any byte of it
    /// is waited for or stored.
    public static let maximumBodyLength = 64 * 1024
    /// The most columns PostgreSQL allows in a table, and so in a row.
    static let maximumColumns = 1664

    /// The next whole message in `buffer` from `offset`: its type byte and the range of its
    /// body. Nil while the message is still incomplete. A length field below 4 or above the
    /// cap is an error.
    public static func frame(in buffer: [UInt8], at offset: Int) throws(PostgresWireError) -> (type: UInt8, body: Range<Int>)? {
        guard offset >= 0, offset <= buffer.count else { throw PostgresWireError("bad read offset") }
        guard buffer.count - offset >= 5 else { return nil }
        let type = buffer[offset]
        var reader = Reader(buffer, offset + 1..<offset + 5)
        let length = Int(try reader.int32())
        guard length >= 4 else { throw PostgresWireError("message '\(printable(type))' has the length \(length)") }
        guard length - 4 <= maximumBodyLength else {
            throw PostgresWireError("message '\(printable(type))' claims \(length) bytes, over the \(maximumBodyLength)-byte cap")
        }
        let start = offset + 5
        guard buffer.count - start >= length - 4 else { return nil }
        return (type, start..<start + length - 4)
    }

    /// Decodes one message's body.
    public static func decode(type: UInt8, body: ArraySlice<UInt8>) throws(PostgresWireError) -> PostgresBackendMessage {
        var reader = Reader(body)
        let message: PostgresBackendMessage
        switch type {
        case UInt8(ascii: "R"):
            let code = try reader.int32()
            message = code == 0 ? .authenticationOk : .authenticationRequest(code: code)
            if code != 0 { return message }   // the rest (salt, mechanisms) is never read
        case UInt8(ascii: "S"):
            message = .parameterStatus(name: try reader.cString(), value: try reader.cString())
        case UInt8(ascii: "K"):
            _ = try reader.int32()
            _ = try reader.int32()
            message = .backendKeyData
        case UInt8(ascii: "Z"):
            let status = try reader.byte()
            guard status == UInt8(ascii: "I") || status == UInt8(ascii: "T") || status == UInt8(ascii: "E") else {
                throw PostgresWireError("ReadyForQuery with an unknown transaction status")
            }
            message = .readyForQuery(status: status)
        case UInt8(ascii: "1"): message = .parseComplete
        case UInt8(ascii: "2"): message = .bindComplete
        case UInt8(ascii: "n"): message = .noData
        case UInt8(ascii: "I"): message = .emptyQueryResponse
        case UInt8(ascii: "T"):
            let count = Int(try reader.int16())
            guard count >= 0, count <= maximumColumns else { throw PostgresWireError("RowDescription with \(count) columns") }
            for _ in 0..<count {
                _ = try reader.cString()          // name
                _ = try reader.int32()            // table
                _ = try reader.int16()            // column number
                _ = try reader.int32()            // type
                _ = try reader.int16()            // type size
                _ = try reader.int32()            // type modifier
                guard try reader.int16() == 0 else { throw PostgresWireError("RowDescription with a binary column") }
            }
            message = .rowDescription(columns: count)
        case UInt8(ascii: "D"):
            let count = Int(try reader.int16())
            guard count >= 0, count <= maximumColumns else { throw PostgresWireError("DataRow with \(count) columns") }
            var values: [String?] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                let length = Int(try reader.int32())
                if length == -1 { values.append(nil); continue }
                guard length >= 0 else { throw PostgresWireError("DataRow with a value of length \(length)") }
                let bytes = try reader.bytes(length)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw PostgresWireError("DataRow with a value that is not UTF-8")
                }
                values.append(text)
            }
            message = .dataRow(values)
        case UInt8(ascii: "C"):
            message = .commandComplete(tag: try reader.cString())
        case UInt8(ascii: "E"):
            let fields = try reader.fields()
            message = .errorResponse(sqlState: fields.sqlState, message: fields.message)
        case UInt8(ascii: "N"):
            _ = try reader.fields()
            message = .noticeResponse
        default:
            throw PostgresWireError("unexpected message type '\(printable(type))'")
        }
        guard reader.isAtEnd else { throw PostgresWireError("message '\(printable(type))' has trailing bytes") }
        return message
    }

    /// A type byte for an error line: itself when printable ASCII, else its value.
    static func printable(_ type: UInt8) -> String {
        (0x21...0x7e).contains(type) ? String(UnicodeScalar(type)) : "\\x" + Hex.encode([type])
    }

    /// Reads big-endian integers, NUL-terminated strings and byte runs within one range of
    /// a buffer; running past its end is an error.
    struct Reader {
        private let buffer: ArraySlice<UInt8>
        private var position: Int

        init(_ buffer: [UInt8], _ range: Range<Int>) {
            self.init(buffer[range])
        }

        init(_ buffer: ArraySlice<UInt8>) {
            self.buffer = buffer
            self.position = buffer.startIndex
        }

        var isAtEnd: Bool { position == buffer.endIndex }

        mutating func byte() throws(PostgresWireError) -> UInt8 {
            guard position < buffer.endIndex else { throw PostgresWireError("message truncated") }
            defer { position += 1 }
            return buffer[position]
        }

        mutating func int16() throws(PostgresWireError) -> Int16 {
            let high = UInt16(try byte()), low = UInt16(try byte())
            return Int16(bitPattern: high << 8 | low)
        }

        mutating func int32() throws(PostgresWireError) -> Int32 {
            var value: UInt32 = 0
            for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
            return Int32(bitPattern: value)
        }

        mutating func bytes(_ count: Int) throws(PostgresWireError) -> ArraySlice<UInt8> {
            guard count >= 0, buffer.endIndex - position >= count else { throw PostgresWireError("message truncated") }
            defer { position += count }
            return buffer[position..<position + count]
        }

        /// A NUL-terminated UTF-8 string.
        mutating func cString() throws(PostgresWireError) -> String {
            guard let end = buffer[position...].firstIndex(of: 0) else { throw PostgresWireError("unterminated string") }
            guard let text = String(validating: buffer[position..<end], as: UTF8.self) else {
                throw PostgresWireError("a string that is not UTF-8")
            }
            position = end + 1
            return text
        }

        /// The fields of an ErrorResponse or NoticeResponse: SQLSTATE and primary message.
        mutating func fields() throws(PostgresWireError) -> (sqlState: String, message: String) {
            var sqlState = "", message = ""
            while true {
                let code = try byte()
                if code == 0 { break }
                let value = try cString()
                if code == UInt8(ascii: "C") { sqlState = value }
                if code == UInt8(ascii: "M") { message = value }
            }
            guard sqlState.isEmpty || (sqlState.utf8.count == 5 && sqlState.utf8.allSatisfy({
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            })) else {
                throw PostgresWireError("an error with a malformed SQLSTATE")
            }
            return (sqlState, message)
        }
    }
}
