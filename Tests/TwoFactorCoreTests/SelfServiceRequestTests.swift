import Testing
@testable import TwoFactorCore

@Suite("SelfServiceRequest and FlatJSONObject (the self-service socket's requests)")
struct SelfServiceRequestTests {
    private let session = String(repeating: "0123456789abcdef", count: 4)

    private func parse(_ text: String) throws(SelfServiceRequest.Problem) -> SelfServiceRequest {
        try SelfServiceRequest.parse(Array(text.utf8))
    }

    /// The message of the refusal of `text`, nil when it parses.
    private func problem(_ text: String) -> String? {
        do throws(SelfServiceRequest.Problem) {
            _ = try parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyOperation() throws {
        #expect(try parse(#"{"op":"status","code":"123456","json":true}"#)
                == SelfServiceRequest(operation: .status, proof: .code("123456"), json: true))
        #expect(try parse(#"{"op":"backup-codes","regenerate":true,"session":"\#(session)"}"#)
                == SelfServiceRequest(operation: .backupCodes(regenerate: true), proof: .session(session)))
        #expect(try parse(#"{"op":"backup-codes","code":"abcde-fghjk"}"#).operation == .backupCodes(regenerate: false))
        #expect(try parse(#"{"op":"enroll-add","label":"phone2","hotp":true,"algorithm":"SHA256","digits":8,"period":60,"code":"1"}"#)
                .operation == .enrollAdd(.init(label: "phone2", hotp: true, algorithm: .sha256, digits: 8, period: 60)))
        #expect(try parse(#"{"op":"confirm","code":"654321"}"#) == SelfServiceRequest(operation: .confirm(code: "654321"), proof: nil))
        #expect(try parse(#"{"op":"credentials-list","code":"123456"}"#).operation == .credentialsList)
        #expect(try parse(#"{"op":"credentials-remove","credential":"2","code":"123456"}"#).operation
                == .credentialsRemove(credential: "2"))
        #expect(try parse(#"{"op":"credentials-rename","credential":"default","label":"phone","code":"1"}"#).operation
                == .credentialsRename(credential: "default", label: "phone"))
        #expect(try parse(#"{"op":"replace","code":"123456"}"#).operation == .replace(.init(label: nil)))
    }

    @Test func whiteSpaceAndEscapesAreJSON() throws {
        let request = try parse(" {\n\t\"op\" : \"st\\u0061tus\" ,\r\n \"code\":\"12\\/34\" }\n")
        #expect(request.operation == .status)
        #expect(request.proof == .code("12/34"))
        let object = try FlatJSONObject.parse(Array(#"{"a":"\ud83d\ude00\u00e9\n"}"#.utf8))
        #expect(object["a"] == .string("😀é\n"))
    }

    @Test("malformed requests are refused", arguments: [
        "", "{", "}", "[]", "null", #"{"op":"status","code":"1"} x"#, #"{"op":"status","code":"1",}"#,
        #"{"op":"status","op":"status","code":"1"}"#, #"{"op":"status","code":null}"#, #"{"op":"status","code":1}"#,
        #"{"op":"status","code":"1","json":"yes"}"#, #"{"op":"status","code":"1","json":1}"#,
        #"{"op":"status","code":"1","user":"root"}"#, #"{"op":"status"}"#, #"{"op":"status","code":"1","session":"x"}"#,
        #"{"op":"status","session":"ABCDEF"}"#, #"{"op":"reset","code":"1"}"#, #"{"op":"confirm","session":"x"}"#,
        #"{"op":"confirm"}"#, #"{"op":"credentials-remove","code":"1"}"#, #"{"op":"credentials-remove","credential":"--force","code":"1"}"#,
        #"{"op":"credentials-rename","credential":"a","label":"b c","code":"1"}"#, #"{"op":"enroll-add","code":"1"}"#,
        #"{"op":"enroll-add","label":"x","digits":9,"code":"1"}"#, #"{"op":"enroll-add","label":"x","digits":06,"code":"1"}"#,
        #"{"op":"enroll-add","label":"x","digits":-6,"code":"1"}"#, #"{"op":"enroll-add","label":"x","digits":6.0,"code":"1"}"#,
        #"{"op":"enroll-add","label":"x","period":1e2,"code":"1"}"#, #"{"op":"enroll-add","label":"x","algorithm":"MD5","code":"1"}"#,
        #"{"op":"enroll-add","label":"x","period":9999999999,"code":"1"}"#, #"{"op":"status","code":{"a":1}}"#,
        #"{"op":"status","code":["1"]}"#, #"{"op":"status","code":"\ud800"}"#, #"{"op":"status","code":"\u0000"}"#,
        #"{"op":"status","code":"a\tb"}"#, "{\"op\":\"status\",\"code\":\"a\u{01}\"}", #"{"op":"status","code":"\x"}"#,
        #"{"op":"status","code":""}"#, #"{"op":"status","code":"é"}"#, #"{"op":"status","code":"1","json":tru}"#,
        #"{"op":"status" "code":"1"}"#, #"{op:"status"}"#, #"{"op":"replace","label":"","code":"1"}"#,
    ])
    func malformed(text: String) {
        #expect(problem(text) != nil, "accepted: \(text)")
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = Array(#"{"op":"status","code":""#.utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect(throws: SelfServiceRequest.Problem.self) { try SelfServiceRequest.parse(bytes) }
    }

    @Test func sizeLimit() {
        let padding = String(repeating: " ", count: SelfServiceRequest.maximumSize)
        #expect(problem(#"{"op":"status","code":"1"}"# + padding)?.hasPrefix("the request is larger than 8192 bytes") == true)
        let fits = #"{"op":"status","code":"1"}"#
        #expect(problem(fits + String(repeating: " ", count: SelfServiceRequest.maximumSize - fits.utf8.count)) == nil)
    }

    @Test func messagesNameTheProblem() {
        #expect(problem(#"{"op":"status","code":"1","user":"root"}"#) == #"the key "user" is not allowed for op status"#)
        #expect(problem(#"{"op":"status","code":"1","code":"2"}"#)?.hasSuffix(#"the key "code" is given twice (byte 26)"#) == true)
        #expect(problem(#"{"op":"confirm","code":"1","session":"\#(session)"}"#) == #"the key "session" is not allowed for op confirm"#)
    }

    @Test func textRoundTrips() throws {
        let requests: [SelfServiceRequest] = [
            SelfServiceRequest(operation: .status, proof: .code("abcde-fghjk"), json: true),
            SelfServiceRequest(operation: .backupCodes(regenerate: true), proof: .session(session)),
            SelfServiceRequest(operation: .enrollAdd(.init(label: "key", hotp: true, algorithm: .sha512, digits: 7, period: 45)),
                               proof: .code("12345678")),
            SelfServiceRequest(operation: .confirm(code: "123456"), proof: nil, json: true),
            SelfServiceRequest(operation: .credentialsList, proof: .code("\"\\ 1")),
            SelfServiceRequest(operation: .credentialsRemove(credential: "2"), proof: .code("1")),
            SelfServiceRequest(operation: .credentialsRename(credential: "a.b", label: "c_d"), proof: .code("1")),
            SelfServiceRequest(operation: .replace(.init(label: nil)), proof: .session(session)),
        ]
        for request in requests {
            #expect(try parse(request.text) == request, "\(request.text)")
        }
        #expect(FlatJSONObject.quoted("a\"b\\c\u{1}") == #""a\"b\\c\u0001""#)
    }

    @Test func readsAndChanges() throws {
        #expect(try !parse(#"{"op":"status","code":"1"}"#).changes)
        #expect(try !parse(#"{"op":"backup-codes","code":"1"}"#).changes)
        #expect(try parse(#"{"op":"backup-codes","regenerate":true,"code":"1"}"#).changes)
        #expect(try parse(#"{"op":"credentials-remove","credential":"a","code":"1"}"#).changes)
    }
}
