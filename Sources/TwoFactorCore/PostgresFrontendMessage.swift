/// The messages the login process sends to the local pooler (PostgreSQL protocol 3.0), as
/// bytes. Pure: no I/O, no environment. A string that holds a NUL byte where the protocol
/// ends strings with one, or a message too large for its length field, is refused.
public enum PostgresFrontendMessage {
    /// Protocol 3.0, the only version asked for (no minor version, no `_pq_` options, so
    /// no NegotiateProtocolVersion can come back).
    static let protocolVersion: Int32 = 3 << 16

    /// The StartupMessage: user, database and application_name, nothing else.
    public static func startup(user: String, database: String, applicationName: String) throws(PostgresWireError) -> [UInt8] {
        var body: [UInt8] = []
        append(protocolVersion, to: &body)
        for (key, value) in [("user", user), ("database", database), ("application_name", applicationName)] {
            try appendCString(key, to: &body)
            try appendCString(value, to: &body)
        }
        body.append(0)
        return try frame(type: nil, body)
    }

    /// One statement with text parameters (nil is SQL NULL) through the extended protocol,
    /// unnamed statement and portal: Parse, Bind (text in, text out), Describe (portal),
    /// Execute (all rows), Sync. The server's types for the parameters are its own guess,
    /// as with a parameter of unknown type; the SQL casts where it matters.
    public static func call(_ sql: String, _ parameters: [String?]) throws(PostgresWireError) -> [UInt8] {
        guard parameters.count <= Int(Int16.max) else {
            throw PostgresWireError("too many parameters (\(parameters.count))")
        }
        var parse: [UInt8] = [0]                       // unnamed statement
        try appendCString(sql, to: &parse)
        append(Int16(0), to: &parse)                   // no parameter types given

        var bind: [UInt8] = [0, 0]                     // unnamed portal, unnamed statement
        append(Int16(0), to: &bind)                    // every parameter in text format
        append(Int16(parameters.count), to: &bind)
        for parameter in parameters {
            guard let parameter else {
                append(Int32(-1), to: &bind)
                continue
            }
            let bytes = Array(parameter.utf8)
            guard bytes.count <= maximumFieldLength else { throw PostgresWireError("a parameter is too long") }
            append(Int32(bytes.count), to: &bind)
            bind += bytes
        }
        append(Int16(0), to: &bind)                    // every result column in text format

        var execute: [UInt8] = [0]                     // unnamed portal
        append(Int32(0), to: &execute)                 // no row limit

        return try frame(type: UInt8(ascii: "P"), parse)
            + frame(type: UInt8(ascii: "B"), bind)
            + frame(type: UInt8(ascii: "D"), [UInt8(ascii: "P"), 0])
            + frame(type: UInt8(ascii: "E"), execute)
            + frame(type: UInt8(ascii: "S"), [])
    }

    /// Terminate: the polite end of a session.
    public static let terminate: [UInt8] = [UInt8(ascii: "X"), 0, 0, 0, 4]

    /// Largest SQL text or parameter sent (the whole message must fit its Int32 length).
    static let maximumFieldLength = 1 << 20

    private static func frame(type: UInt8?, _ body: [UInt8]) throws(PostgresWireError) -> [UInt8] {
        guard body.count <= Int(Int32.max) - 4 else { throw PostgresWireError("message too large") }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 5)
        if let type { out.append(type) }
        append(Int32(body.count + 4), to: &out)
        return out + body
    }

    private static func appendCString(_ text: String, to bytes: inout [UInt8]) throws(PostgresWireError) {
        let utf8 = Array(text.utf8)
        guard !utf8.contains(0) else { throw PostgresWireError("a string for the server contains a NUL byte") }
        guard utf8.count <= maximumFieldLength else { throw PostgresWireError("a string for the server is too long") }
        bytes += utf8
        bytes.append(0)
    }

    private static func append(_ value: Int32, to bytes: inout [UInt8]) {
        let bits = UInt32(bitPattern: value)
        bytes += [UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
                  UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)]
    }

    private static func append(_ value: Int16, to bytes: inout [UInt8]) {
        let bits = UInt16(bitPattern: value)
        bytes += [UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)]
    }
}
