import Testing
@testable import TwoFactorCore

/// The v3 protocol codec and session order, byte by byte.
@Suite("PostgreSQL wire codec")
struct PostgresWireTests {
    static func message(_ type: Character, _ body: [UInt8] = []) -> [UInt8] {
        let length = UInt32(body.count + 4)
        return [UInt8(ascii: type.unicodeScalars.first!)] + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + body
    }

    @Test("StartupMessage: protocol 3.0, user, database, application_name, nothing else")
    func startup() throws {
        let bytes = try PostgresFrontendMessage.startup(user: "u", database: "d", applicationName: "a")
        let body: [UInt8] = [0, 3, 0, 0] + Array("user\0u\0database\0d\0application_name\0a\0\0".utf8)
        #expect(bytes == [0, 0, 0, UInt8(body.count + 4)] + body)
        #expect(throws: PostgresWireError.self) { try PostgresFrontendMessage.startup(user: "u\0x", database: "d", applicationName: "a") }
    }

    @Test("a call: Parse, Bind with text and NULL parameters, Describe, Execute, Sync")
    func call() throws {
        let bytes = try PostgresFrontendMessage.call("SELECT $1", ["ab", nil])
        let expected = Self.message("P", [0] + Array("SELECT $1\0".utf8) + [0, 0])
            + Self.message("B", [0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 97, 98, 255, 255, 255, 255, 0, 0])
            + Self.message("D", [UInt8(ascii: "P"), 0]) + Self.message("E", [0, 0, 0, 0, 0]) + Self.message("S")
        #expect(bytes == expected)
    }

    @Test("framing: incomplete is nil, a length below 4 or over the cap is an error")
    func framing() throws {
        #expect(try PostgresBackendMessage.frame(in: [UInt8(ascii: "Z"), 0, 0], at: 0) == nil)
        #expect(try PostgresBackendMessage.frame(in: [UInt8(ascii: "Z"), 0, 0, 0, 5], at: 0) == nil)
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.frame(in: [UInt8(ascii: "Z"), 0, 0, 0, 3], at: 0) }
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.frame(in: [UInt8(ascii: "D"), 0, 1, 0, 5], at: 0) }
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.frame(in: [UInt8(ascii: "D"), 255, 255, 255, 255], at: 0) }
    }

    @Test("a session: start-up, then a call whose rows come out only at ReadyForQuery")
    func session() throws {
        var session = PostgresSession()
        #expect(try session.receive(.authenticationOk) == nil)
        #expect(try session.receive(.parameterStatus(name: "a", value: "b")) == nil)
        #expect(try session.receive(.readyForQuery(status: UInt8(ascii: "I"))) == .ready)
        try session.beginCall()
        for message: PostgresBackendMessage in [.parseComplete, .bindComplete, .rowDescription(columns: 2), .dataRow(["x", nil]),
                                                .noticeResponse, .commandComplete(tag: "SELECT 1")] {
            #expect(try session.receive(message) == nil)
        }
        #expect(try session.receive(.readyForQuery(status: UInt8(ascii: "I"))) == .result(.rows([["x", nil]])))
        try session.beginCall()
        #expect(try session.receive(.errorResponse(sqlState: "25006", message: "read-only")) == nil)
        #expect(try session.receive(.readyForQuery(status: UInt8(ascii: "I"))) == .result(.refused(sqlState: "25006", message: "read-only")))
    }

    @Test("refused: a credential request, rows out of order or of the wrong width, a second start-up")
    func refusals() throws {
        var asked = PostgresSession()
        #expect(throws: PostgresWireError.self) { try asked.receive(.authenticationRequest(code: 3)) }
        var ready = PostgresSession()
        _ = try ready.receive(.authenticationOk)
        _ = try ready.receive(.readyForQuery(status: UInt8(ascii: "I")))
        var early = ready
        try early.beginCall()
        #expect(throws: PostgresWireError.self) { try early.receive(.dataRow(["accepted-totp"])) }
        #expect(throws: PostgresWireError.self) { try early.receive(.readyForQuery(status: UInt8(ascii: "I"))) }
        var wide = ready
        try wide.beginCall()
        _ = try wide.receive(.parseComplete)
        _ = try wide.receive(.bindComplete)
        _ = try wide.receive(.rowDescription(columns: 3))
        #expect(throws: PostgresWireError.self) { try wide.receive(.dataRow(["accepted-totp"])) }
        var again = ready
        #expect(throws: PostgresWireError.self) { try again.receive(.authenticationOk) }
    }

    @Test("decoding: a DataRow with a value past the end, a negative length, or bytes left over is an error")
    func decoding() throws {
        let row = try PostgresBackendMessage.decode(type: UInt8(ascii: "D"), body: [0, 2, 0, 0, 0, 1, 65, 255, 255, 255, 255][...])
        #expect(row == .dataRow(["A", nil]))
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.decode(type: UInt8(ascii: "D"), body: [0, 1, 0, 0, 0, 9, 65][...]) }
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.decode(type: UInt8(ascii: "D"), body: [0, 1, 255, 255, 255, 0][...]) }
        #expect(throws: PostgresWireError.self) { try PostgresBackendMessage.decode(type: UInt8(ascii: "1"), body: [0][...]) }
        #expect(try PostgresBackendMessage.decode(type: UInt8(ascii: "R"), body: [0, 0, 0, 3][...]) == .authenticationRequest(code: 3))
    }
}
