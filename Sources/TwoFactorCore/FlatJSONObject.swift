/// One JSON object (RFC 8259) whose values are strings, booleans or small non-negative
/// integers, and nothing else: the shape of a self-service request (`SelfServiceRequest`).
///
/// The parser is strict. It refuses nested objects and arrays, `null`, numbers with a sign,
/// a fraction, an exponent or a leading zero, integers of more than 9 digits, a key given
/// twice, invalid UTF-8, a lone surrogate, a NUL character, and anything after the object
/// but white space. Pure: no I/O, no Foundation.
public struct FlatJSONObject: Equatable, Sendable {
    /// A member's value.
    public enum Value: Equatable, Sendable {
        case string(String)
        case bool(Bool)
        case integer(Int)
    }

    /// One `"key": value` pair.
    public struct Member: Equatable, Sendable {
        public let key: String
        public let value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// Why the text is not such an object: one line, with the byte offset where it failed.
    public struct ParseError: Error, Equatable, Sendable {
        public let message: String

        public init(_ message: String) { self.message = message }
    }

    /// The members, in the order of the text.
    public let members: [Member]

    public init(members: [Member]) { self.members = members }

    /// The value of `key`, nil when absent.
    public subscript(key: String) -> Value? {
        members.first { $0.key == key }?.value
    }

    /// Parses `bytes` as one object of at most `maximumMembers` members.
    public static func parse(_ bytes: [UInt8], maximumMembers: Int = 16) throws(ParseError) -> FlatJSONObject {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        try reader.expect(UInt8(ascii: "{"))
        var members: [Member] = []
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.offset += 1
        } else {
            while true {
                reader.skipSpace()
                let keyOffset = reader.offset
                let key = try reader.string()
                if members.contains(where: { $0.key == key }) {
                    throw ParseError("the key \"\(key)\" is given twice (byte \(keyOffset))")
                }
                reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipSpace()
                members.append(Member(key: key, value: try reader.value()))
                guard members.count <= maximumMembers else { throw ParseError("more than \(maximumMembers) keys") }
                reader.skipSpace()
                guard let next = reader.peek() else { throw ParseError("the object is not closed") }
                reader.offset += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else {
                    throw ParseError("expected ',' or '}' at byte \(reader.offset - 1)")
                }
            }
        }
        reader.skipSpace()
        guard reader.peek() == nil else { throw ParseError("text after the object at byte \(reader.offset)") }
        return FlatJSONObject(members: members)
    }

    /// The object as compact JSON text, members in order.
    public var text: String {
        var out = "{"
        for (index, member) in members.enumerated() {
            if index > 0 { out += "," }
            out += Self.quoted(member.key) + ":"
            switch member.value {
            case .string(let text): out += Self.quoted(text)
            case .bool(let flag): out += flag ? "true" : "false"
            case .integer(let number): out += "\(number)"
            }
        }
        return out + "}"
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A cursor over the text.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipSpace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(ParseError) {
            guard peek() == byte else {
                throw ParseError("expected '\(String(decoding: [byte], as: UTF8.self))' at byte \(offset)")
            }
            offset += 1
        }

        mutating func value() throws(ParseError) -> Value {
            guard let first = peek() else { throw ParseError("a value is missing at the end") }
            switch first {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            case UInt8(ascii: "n"): throw ParseError("null is not allowed (byte \(offset))")
            case UInt8(ascii: "{"), UInt8(ascii: "["): throw ParseError("nested values are not allowed (byte \(offset))")
            default: throw ParseError("not a string, boolean or non-negative integer at byte \(offset)")
            }
        }

        private mutating func word(_ text: String) throws(ParseError) {
            let expected = Array(text.utf8)
            guard offset + expected.count <= bytes.count, Array(bytes[offset..<(offset + expected.count)]) == expected else {
                throw ParseError("expected \(text) at byte \(offset)")
            }
            offset += expected.count
        }

        private mutating func integer() throws(ParseError) -> Int {
            let start = offset
            var number = 0
            while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard offset - start < 9 else { throw ParseError("an integer of more than 9 digits at byte \(start)") }
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
                offset += 1
            }
            if offset - start > 1 && bytes[start] == UInt8(ascii: "0") {
                throw ParseError("an integer with a leading zero at byte \(start)")
            }
            if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                throw ParseError("only whole numbers are allowed (byte \(start))")
            }
            return number
        }

        mutating func string() throws(ParseError) -> String {
            let start = offset
            try expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while true {
                guard let byte = peek() else { throw ParseError("a string is not closed (byte \(start))") }
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: out, as: UTF8.self) else {
                        throw ParseError("a string is not UTF-8 (byte \(start))")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    try escape(into: &out)
                case 0..<0x20:
                    throw ParseError("a control character in a string at byte \(offset - 1)")
                default:
                    out.append(byte)
                }
            }
        }

        private mutating func escape(into out: inout [UInt8]) throws(ParseError) {
            guard let byte = peek() else { throw ParseError("an escape is cut off at the end") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): try unicodeEscape(into: &out)
            default: throw ParseError("an unknown escape at byte \(offset - 2)")
            }
        }

        private mutating func unicodeEscape(into out: inout [UInt8]) throws(ParseError) {
            let at = offset - 2
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard peek() == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw ParseError("a lone surrogate at byte \(at)")
                }
                offset += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw ParseError("a lone surrogate at byte \(at)") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw ParseError("a lone surrogate at byte \(at)")
            }
            guard scalar != 0 else { throw ParseError("a NUL character at byte \(at)") }
            switch scalar {
            case 0..<0x80:
                out.append(UInt8(scalar))
            case 0x80..<0x800:
                out.append(UInt8(0xC0 | (scalar >> 6)))
                out.append(UInt8(0x80 | (scalar & 0x3F)))
            case 0x800..<0x10000:
                out.append(UInt8(0xE0 | (scalar >> 12)))
                out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (scalar & 0x3F)))
            default:
                out.append(UInt8(0xF0 | (scalar >> 18)))
                out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
                out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (scalar & 0x3F)))
            }
        }

        private mutating func hex4() throws(ParseError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = peek() else { throw ParseError("a \\u escape is cut off at the end") }
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw ParseError("a \\u escape needs 4 hex digits (byte \(offset))")
                }
                value = value << 4 | UInt32(digit)
                offset += 1
            }
            return value
        }
    }
}
